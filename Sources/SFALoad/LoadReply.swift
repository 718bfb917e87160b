public import SFACodec
public import SFARPC

/// A call of a run that succeeded, as the run's observer sees it
/// (``LoadRunner/run(plan:scenario:tenants:skew:progress:seed:observer:)``): what a
/// test needs to know which writes the server acknowledged.
public struct LoadReply: Sendable {
    /// The step that made the call. A step may make several calls (a stage move reads
    /// the deal first); each one that succeeds is a reply, also when a later call of
    /// the step fails.
    public var step: String
    public var method: MethodDescriptor
    /// The tenant the call went to, with the key it carried.
    public var tenant: TenantFixture
    public var request: any ProtoMessage
    public var response: any ProtoMessage
}

/// Told of every reply of a run, on the worker that made the call: it should be quick
/// and must not block (collect, then look at the replies after the run).
public typealias LoadObserver = @Sendable (LoadReply) -> Void

/// The caller a step's calls go through when the run has an observer: passes each call
/// on and tells the observer of its reply. A run without an observer does not make one.
struct ObservingCaller: RPCCaller {
    var base: any RPCCaller
    var step: String
    var tenant: TenantFixture
    var observer: LoadObserver

    func unary<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor,
        request: Request,
        responseType: Response.Type,
        options: CallOptions
    ) async throws -> Response {
        let response = try await base.unary(method, request: request, responseType: responseType, options: options)
        observer(LoadReply(step: step, method: method, tenant: tenant, request: request, response: response))
        return response
    }
}
