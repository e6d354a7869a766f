"""The Java virtual machine MPXJ runs in: one per process, started the first time a plan file
is read, in the Celery worker that reads it (never in a web request: nothing on the web side
imports this module's callers).

JPype starts one JVM per process and cannot start another once it is shut down, so the JVM
is never shut down: it lives as long as the worker process. A prefork worker starts it in
each child, after the fork (a JVM does not survive a fork), because it is started lazily by
the first task a child runs.

The JVM's XML parsers are told to fetch no external DTD, schema or entity and to expand few
entities: MPXJ reads several XML formats (and XML inside zip files), and a file must not make
the worker read local files, call other hosts or expand an "XML bomb"."""

from __future__ import annotations

import threading

from django.conf import settings

from projects.imports.plan import PlanFileError

JVM_OPTIONS = (
    "-Djava.awt.headless=true",
    "-Djavax.xml.accessExternalDTD=",
    "-Djavax.xml.accessExternalSchema=",
    "-Djavax.xml.accessExternalStylesheet=",
    "-Djdk.xml.entityExpansionLimit=2000",
    "-Djdk.xml.totalEntitySizeLimit=100000",
    "-Djdk.xml.maxGeneralEntitySizeLimit=10000",
    # MPXJ logs through Log4j's API without an implementation: its simple logger, errors only.
    "-Dlog4j2.loggerContextFactory=org.apache.logging.log4j.simple.SimpleLoggerContextFactory",
)
NO_JAVA = (
    "Slate cannot read this kind of file here: its reader (MPXJ) needs Java 11 or later, and "
    "none was found on the worker. Ask your administrator to install a Java runtime "
    "(openjdk-17-jre-headless), or upload Microsoft Project XML instead."
)

_lock = threading.Lock()


class JavaUnavailable(PlanFileError):
    """No JVM can be started in this process (no Java, or the JVM was shut down)."""


def start_jvm() -> None:
    """Start this process's JVM with MPXJ's jars on its class path, unless it runs already."""
    import jpype
    import mpxj  # noqa: F401 - puts MPXJ's jars on JPype's class path

    with _lock:
        if jpype.isJVMStarted():
            return
        try:
            jvm_path = jpype.getDefaultJVMPath()
        except jpype.JVMNotFoundException as error:
            raise JavaUnavailable(NO_JAVA) from error
        heap = f"-Xmx{settings.SLATE_MPXJ_MAX_HEAP}"
        try:
            jpype.startJVM(jvm_path, heap, *JVM_OPTIONS, convertStrings=False)
        except OSError as error:  # JPype: "JVM cannot be restarted", or a broken install
            raise JavaUnavailable(f"{NO_JAVA} ({error})") from error


def jvm_is_running() -> bool:
    import jpype

    return jpype.isJVMStarted()
