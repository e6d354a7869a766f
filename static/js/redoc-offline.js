// Loaded before Redoc on /api/redoc/ (templates/api_docs/redoc.html). Redoc's menu shows its
// maker's logo, an image from the maker's CDN: Slate asks nothing of other sites, and the
// Content-Security-Policy would refuse it with an error in the console. So the logo's address
// is never set, whichever way Redoc sets it, and the link around it is hidden by the page's
// style.
(function () {
  "use strict";
  var outside = /^https:\/\/cdn\.redoc\.ly\//;
  var image = HTMLImageElement.prototype;
  var setAttribute = image.setAttribute;
  image.setAttribute = function (name, value) {
    if (String(name).toLowerCase() === "src" && outside.test(String(value))) {
      return undefined;
    }
    return setAttribute.call(this, name, value);
  };
  var src = Object.getOwnPropertyDescriptor(image, "src");
  Object.defineProperty(image, "src", {
    configurable: true,
    enumerable: src.enumerable,
    get: src.get,
    set: function (value) {
      if (!outside.test(String(value))) {
        src.set.call(this, value);
      }
    },
  });
})();
