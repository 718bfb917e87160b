"""The generated messages (sfa.v1.*_pb2, made from proto/ when the package is built)
and what the client reads from their descriptors."""

from __future__ import annotations

import importlib
import pkgutil

from google.protobuf import descriptor_pb2, descriptor_pool

import sfa.v1
from sfa.v1 import rpc_pb2 as rpc

_loaded = False


def load() -> None:
    """Imports every generated module, so that every service is in the pool."""
    global _loaded
    if _loaded:
        return
    for module in pkgutil.iter_modules(sfa.v1.__path__):
        if module.name.endswith("_pb2"):
            importlib.import_module(f"sfa.v1.{module.name}")
    _loaded = True


def pool() -> descriptor_pool.DescriptorPool:
    return descriptor_pool.Default()


def is_idempotent(method: str) -> bool:
    """Whether `method` ("/sfa.v1.LeadService/GetLead") is declared NO_SIDE_EFFECTS or
    IDEMPOTENT in proto/: the calls the client may repeat on its own."""
    load()
    service_name, _, method_name = method.strip("/").partition("/")
    try:
        descriptor = pool().FindServiceByName(service_name).methods_by_name[method_name]
    except (KeyError, LookupError):
        return False
    options = descriptor.GetOptions()
    return options.idempotency_level in (
        descriptor_pb2.MethodOptions.NO_SIDE_EFFECTS,
        descriptor_pb2.MethodOptions.IDEMPOTENT,
    )


__all__ = ["load", "pool", "is_idempotent", "rpc"]
