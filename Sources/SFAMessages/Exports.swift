// The message types are only useful with the codec that encodes and decodes them.
@_exported public import SFACodec
