public import NIOCore
import NIOSSL
import NIOTLS

/// Reads the verified client certificate once the handshake completes and passes
/// the tenants it is bound to down the pipeline as a ``ClientCertificateTenants``
/// event, before any request can arrive. Added after the TLS handler when the
/// server asks for client certificates.
public final class ClientCertificateReader: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    public init() {}

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        context.fireUserInboundEventTriggered(event)
        guard case TLSUserEvent.handshakeCompleted = event else { return }
        // Only a certificate the CA signed gets here: an unverified one fails the handshake.
        if let certificate = try? context.pipeline.syncOperations.nioSSL_peerCertificate() {
            context.fireUserInboundEventTriggered(ClientCertificateTenants(certificate: certificate))
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
