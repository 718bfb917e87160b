// Stubs are used together with the RPC core types in their signatures.
@_exported public import SFAMessages
@_exported public import SFARPC
