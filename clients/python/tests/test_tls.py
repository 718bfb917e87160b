"""The client over TLS against a real sfad serving a certificate made here by the
openssl command line (a throwaway CA, valid two days)."""

from __future__ import annotations

import asyncio
import os
import pathlib
import ssl
import subprocess
import tempfile

import pytest
from sfa.v1 import health_pb2

from saleswire import NO_RETRIES, Client, RpcError, StatusCode

from conftest import running_sfad


def openssl(directory: str, *arguments: str) -> None:
    subprocess.run(["openssl", *arguments], cwd=directory, check=True, capture_output=True)


def make_pki(directory: str) -> None:
    openssl(directory, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=SalesWire python test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    pathlib.Path(directory, "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    openssl(directory, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    openssl(directory, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-out", "server.pem", "-extfile", "server.ext")


@pytest.fixture(scope="module")
def tls_server():
    with tempfile.TemporaryDirectory(prefix="sfa-python-tls-") as directory:
        make_pki(directory)
        server_files = ("--tls-cert", os.path.join(directory, "server.pem"), "--tls-key", os.path.join(directory, "server.key"))
        with running_sfad(directory, *server_files) as ports:
            port = ports["native"]
            yield port, os.path.join(directory, "ca.pem")


def check(port: int, context: ssl.SSLContext | None, host: str = "127.0.0.1") -> int:
    async def scenario():
        async with Client(host, port, retry=NO_RETRIES, ssl=context) as client:
            return (await client.stub("sfa.v1.HealthService").Check(health_pb2.HealthCheckRequest())).status

    return asyncio.run(scenario())


def test_a_call_over_tls_verifies_the_server_by_address_and_by_name(tls_server):
    port, ca = tls_server
    context = ssl.create_default_context(cafile=ca)
    assert check(port, context) == health_pb2.SERVING_STATUS_SERVING
    assert check(port, context, host="localhost") == health_pb2.SERVING_STATUS_SERVING


def test_a_server_the_ca_did_not_sign_is_refused(tls_server):
    port, _ = tls_server
    # The system's CAs did not sign the throwaway one.
    with pytest.raises(RpcError) as refused:
        check(port, ssl.create_default_context())
    assert refused.value.code == StatusCode.UNAVAILABLE


def test_plaintext_to_a_tls_server_fails_without_an_answer(tls_server):
    port, _ = tls_server
    with pytest.raises(RpcError) as refused:
        check(port, None)
    assert refused.value.code in (StatusCode.UNAVAILABLE, StatusCode.INTERNAL)
