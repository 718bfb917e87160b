"""Builds the package with the protobuf messages generated from the repository's
proto/ directory (protoc from grpcio-tools), so that generated code is never committed
and always matches the server's API."""

import os
import pathlib

from setuptools import setup
from setuptools.command.build_py import build_py

PROTO_ROOT = pathlib.Path(__file__).resolve().parent.parent.parent / "proto"


class BuildWithMessages(build_py):
    """build_py that first writes sfa/v1/*_pb2.py into the build directory."""

    def run(self):
        super().run()
        from grpc_tools import protoc  # a build requirement (pyproject.toml)

        out = pathlib.Path(self.build_lib)
        sources = sorted(str(path) for path in (PROTO_ROOT / "sfa" / "v1").glob("*.proto"))
        if not sources:
            raise SystemExit(f"no .proto files under {PROTO_ROOT}: build from the SalesWire repository")
        status = protoc.main(["protoc", f"-I{PROTO_ROOT}", f"--python_out={out}"] + sources)
        if status != 0:
            raise SystemExit(f"protoc failed with status {status}")
        for package in (out / "sfa", out / "sfa" / "v1"):
            (package / "__init__.py").touch()


setup(cmdclass={"build_py": BuildWithMessages})
