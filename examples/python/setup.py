"""pip install --no-build-isolation examples/python: the binding linked with
the static library, which `make` builds from the checkout around it (the
library's own flags and checks; its Debian packages: `make deps`)."""
import os
import subprocess

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
STATIC = os.path.join(ROOT, "build", "libsheaf.a")


class BuildWithLibrary(build_ext):
    def run(self):
        subprocess.run(["make", "-C", ROOT, "--no-print-directory", "build/libsheaf.a"],
                       check=True)
        super().run()


setup(
    name="sheaf",
    version="0.3.0",
    description="Group news articles that tell the same story (near duplicates, stories)",
    long_description=open(os.path.join(HERE, "README.md"), encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="see LICENSE in the sheaf repository",
    packages=["sheaf"],
    package_data={"sheaf": ["__init__.pyi", "py.typed"]},
    ext_modules=[Extension(
        "sheaf._sheaf",
        sources=sorted(os.path.join("src", f) for f in os.listdir(os.path.join(HERE, "src"))
                       if f.endswith(".c")),
        include_dirs=[os.path.join(ROOT, "include")],
        extra_compile_args=["-std=c11", "-fvisibility=hidden"],
        extra_objects=[STATIC],
        libraries=["lmdb", "pthread", "m"],
    )],
    cmdclass={"build_ext": BuildWithLibrary},
    python_requires=">=3.8",
)
