"""The static files storage of production and `make demo` (settings.STATIC_HASHED).

whitenoise's CompressedManifestStaticFilesStorage gives every collected file a content hash
in its name (slate.3f2a9c1b7e4d.js), which whitenoise then serves with a year's
`Cache-Control: max-age=315360000, public, immutable`, and writes brotli and gzip copies it
serves to browsers that accept them. Django hands out the hashed names only while DEBUG is off;
this storage hands them out always, so `make demo` (DEBUG on, for its error pages) loads each
file once too."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class HashedStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def url(self, name, force=False):
        return super().url(name, force=True)
