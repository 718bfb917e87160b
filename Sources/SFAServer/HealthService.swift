import SFAStubs

/// `sfa.v1.HealthService`, mirroring grpc.health.v1: SERVING while the server takes
/// calls, NOT_SERVING once it drains, NOT_FOUND for a service it does not host.
struct HealthService: HealthServiceHandler {
    let servingState: ServingState
    let hostedServices: Set<String>

    init(servingState: ServingState, hostedMethods: [MethodDescriptor]) {
        self.servingState = servingState
        self.hostedServices = Set(hostedMethods.map(\.service))
    }

    func check(_ request: HealthCheckRequest, context: ServerContext) async throws -> HealthCheckResponse {
        guard request.service.isEmpty || hostedServices.contains(request.service) else {
            throw RPCError(
                code: .notFound,
                message: "no service named \(request.service)",
                details: ErrorDetails(reason: "SERVICE_UNKNOWN")
            )
        }
        return HealthCheckResponse(status: servingState.isDraining ? .notServing : .serving)
    }
}
