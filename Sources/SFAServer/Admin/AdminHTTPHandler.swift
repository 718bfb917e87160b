import NIOCore
import NIOHTTP1
import Prometheus

/// What each admin path answers; shared by every admin connection.
struct AdminRoutes: Sendable {
    let registry: PrometheusCollectorRegistry
    let readiness: @Sendable () async -> [String]

    struct Reply: Sendable {
        var status: HTTPResponseStatus
        var contentType = "text/plain; charset=utf-8"
        var body: String
    }

    func reply(method: HTTPMethod, path: String) async -> Reply {
        guard method == .GET || method == .HEAD else { return Reply(status: .methodNotAllowed, body: "GET only\n") }
        switch path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path {
        case "/metrics":
            return Reply(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: registry.emitToString())
        case "/healthz":
            return Reply(status: .ok, body: "ok\n")
        case "/readyz":
            let problems = await readiness()
            return problems.isEmpty
                ? Reply(status: .ok, body: "ready\n")
                : Reply(status: .serviceUnavailable, body: "not ready: " + problems.joined(separator: ", ") + "\n")
        default:
            return Reply(status: .notFound, body: "not found; try /metrics, /healthz or /readyz\n")
        }
    }
}

/// Answers each request with ``AdminRoutes``; the work runs in a task, off the event
/// loop (readiness may read the control plane), and one request is answered at a time.
final class AdminHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let routes: AdminRoutes
    private var request: HTTPRequestHead?

    init(routes: AdminRoutes) {
        self.routes = routes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            break  // bodies are not used
        case .end:
            guard let head = request else { return }
            request = nil
            let routes = self.routes
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            Task {
                let reply = await routes.reply(method: head.method, path: head.uri)
                eventLoop.execute {
                    let (handler, context) = loopBound.value
                    handler.write(reply, for: head, context: context)
                }
            }
        }
    }

    private func write(_ reply: AdminRoutes.Reply, for head: HTTPRequestHead, context: ChannelHandlerContext) {
        let body = context.channel.allocator.buffer(string: reply.body)
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: reply.contentType)
        headers.add(name: "content-length", value: "\(body.readableBytes)")
        headers.add(name: "cache-control", value: "no-store")
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: reply.status, headers: headers))), promise: nil)
        if head.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }
}

@available(*, unavailable)
extension AdminHTTPHandler: Sendable {}
