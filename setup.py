"""The build step of `pip install .` (pyproject.toml): builds the extension queuednet._queuednet
with the project's CMakeLists.txt and puts it next to python/queuednet/*.py in the package.

Only the library and the module are built (no tests, benchmarks or examples), in Release, for
the interpreter running this build. CMAKE_BUILD_PARALLEL_LEVEL sets the number of compile jobs
(default: one per CPU). Needs cmake, a C++20 compiler, pybind11-dev and python3-dev.
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = pathlib.Path(__file__).resolve().parent


def project_version():
    """The version in CMakeLists.txt's project() call, the one source of it."""
    text = (ROOT / "CMakeLists.txt").read_text()
    return re.search(r"project\(queuednet VERSION ([0-9.]+)", text).group(1)


class CMakeExtension(Extension):
    """An extension CMake builds: setuptools compiles no sources itself."""

    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = pathlib.Path(self.build_temp).resolve() / "cmake"
        configure = ["cmake", "-S", str(ROOT), "-B", str(build_dir),
                     "-DCMAKE_BUILD_TYPE=Release",
                     "-DQUEUEDNET_BUILD_TESTS=OFF", "-DQUEUEDNET_BUILD_BENCH=OFF",
                     "-DQUEUEDNET_BUILD_EXAMPLES=OFF", "-DQUEUEDNET_PYTHON=ON",
                     "-DPython3_EXECUTABLE=" + sys.executable]
        if shutil.which("ninja") and not (build_dir / "CMakeCache.txt").exists():
            configure += ["-G", "Ninja"]
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") or str(os.cpu_count() or 1)
        subprocess.run(configure, check=True)
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "_queuednet", "-j", jobs], check=True)
        built = list((build_dir / "python" / "queuednet").glob("_queuednet*.so"))
        if len(built) != 1:
            raise RuntimeError("CMake built %d _queuednet modules in %s" % (len(built), build_dir))
        target = pathlib.Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[0], target)


setup(version=project_version(),
      ext_modules=[CMakeExtension("queuednet._queuednet")],
      cmdclass={"build_ext": CMakeBuild})
