import GRPCCore
import NIOCore
import SFARPC
import SFATransport
import Synchronization

/// Every method of the API, registered with grpc-swift's router, each handing its
/// call to the native ``RPCDispatcher``: the gate admits it, the limits hold it, the
/// method's handler runs, the observers see it, exactly as on the framed transport.
///
/// The request reaches the dispatcher as the bytes the client sent
/// (``PayloadDeserializer``), because the native transport decodes a request only
/// after the gate admitted the call: a caller without a valid key learns nothing
/// about the request it sent, on either transport. The response leaves as the
/// dispatcher's message, encoded by protobuf-c (``ProtoMessageSerializer``).
final class DispatchingService: RegistrableRPCService {
    let dispatcher: RPCDispatcher
    let methods: [SFARPC.MethodDescriptor]
    let maximumMessageSize: Int
    /// The native transport's limits per kind of method, checked before decoding as there.
    let requestSizes: RequestSizeLimits
    /// Call ids for the observers' log lines; a gRPC call has no frame call id.
    private let callIDs = Atomic<UInt32>(0)

    init(dispatcher: RPCDispatcher, methods: [SFARPC.MethodDescriptor], maximumMessageSize: Int, requestSizes: RequestSizeLimits) {
        self.dispatcher = dispatcher
        self.methods = methods
        self.maximumMessageSize = maximumMessageSize
        self.requestSizes = requestSizes
    }

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        for method in methods {
            router.registerHandler(
                forMethod: GRPCCore.MethodDescriptor(fullyQualifiedService: method.service, method: method.method),
                deserializer: PayloadDeserializer(),
                serializer: ProtoMessageSerializer()
            ) { request, context in
                let outcome = try await self.call(method, request, context: context)
                return StreamingServerResponse(single: ServerResponse(message: outcome))
            }
        }
    }

    /// Runs one unary call through the dispatcher, within its `grpc-timeout`.
    private func call(
        _ method: SFARPC.MethodDescriptor,
        _ request: StreamingServerRequest<ByteBuffer>,
        context: GRPCCore.ServerContext
    ) async throws -> AnyProtoMessage {
        var payload: ByteBuffer?
        for try await message in request.messages {
            guard payload == nil else {
                throw GRPCCore.RPCError(code: .unimplemented, message: "\(method) is a unary method: send one request message")
            }
            payload = message
        }
        guard let payload else {
            throw GRPCCore.RPCError(code: .unimplemented, message: "\(method) is a unary method: send one request message")
        }
        let metadata = CallMetadata(request.metadata)
        if let violation = metadata.violation { throw StatusDetails.grpcError(violation) }
        if let refusal = requestSizes.refusal(method: method.fullName, size: payload.readableBytes) {
            throw StatusDetails.grpcError(refusal)
        }
        let timeout = metadata.timeout
        let call = IncomingCall(
            callID: callIDs.add(1, ordering: .relaxed).newValue,
            method: method.fullName,
            deadline: timeout.map { ContinuousClock.now + $0 },
            idempotencyKey: metadata.idempotencyKey,
            metadata: metadata.passedOn,
            authorization: metadata.authorization,
            peer: Self.peer(context.remotePeer)
        )
        let dispatcher = self.dispatcher
        let maximumMessageSize = self.maximumMessageSize
        let result = await Deadline.run(timeout) {
            await dispatcher.dispatch(call, payload: payload, maximumSize: maximumMessageSize)
        }
        switch result {
        case .success(let response): return AnyProtoMessage(response)
        case .failure(let error): throw StatusDetails.grpcError(error)
        }
    }

    /// `host:port`, as the native transport names peers in logs (grpc-swift says
    /// `ipv4:127.0.0.1:5000`).
    static func peer(_ remote: String) -> String {
        for prefix in ["ipv4:", "ipv6:"] where remote.hasPrefix(prefix) {
            return String(remote.dropFirst(prefix.count))
        }
        return remote
    }
}
