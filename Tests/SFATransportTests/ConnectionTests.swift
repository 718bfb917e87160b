import NIOCore
import SFAClient
import SFAServer
import SFAStubs
import SFATestSupport
import SFATransport
import Testing

/// Connection-level behaviour over real sockets, with raw frames where the real
/// client would never send them.
@Suite struct ConnectionTests {
    private let getLead = LeadServiceMethods.getLead.fullName

    private func status(_ frame: Frame?) throws -> StatusCode? {
        guard let frame, frame.type == .response else { return nil }
        return StatusCode(rawValue: try frame.responseHeader.status)
    }

    @Test func anUndecodablePayloadFailsOnlyItsOwnCall() async throws {
        try await withTestServer(services: [TestService()]) { _, port in
            let client = try await RawClient(port: port)
            try await client.sendRequest(callID: 1, method: getLead, payload: GetLeadRequest(id: "sleep:200").serializedBytes())
            // Field 1 claims 100 bytes of string but the payload ends: not a GetLeadRequest.
            try await client.sendRequest(callID: 2, method: getLead, payload: [0x0a, 100, 0x41])
            try await client.sendRequest(callID: 3, method: getLead, payload: GetLeadRequest(id: "fine").serializedBytes())
            var statuses: [UInt32: StatusCode] = [:]
            for _ in 0..<3 {
                let frame = try #require(try await client.next())
                statuses[frame.callID] = try status(frame)
                if frame.callID == 2 {
                    #expect(try frame.responseHeader.details?.reason == "MALFORMED_PAYLOAD")
                    #expect(frame.payload.readableBytes == 0)
                }
                if frame.callID == 3 { #expect(try Lead(buffer: frame.payload).id == "fine") }
            }
            #expect(statuses == [1: .ok, 2: .invalidArgument, 3: .ok])
            await client.close()
        }
    }

    @Test func anUndecodableHeaderIsInvalidArgument() async throws {
        try await withTestServer(services: [TestService()]) { _, port in
            let client = try await RawClient(port: port)
            var frame = ByteBuffer()
            frame.writeFrame(Frame(type: .request, callID: 5, header: ByteBuffer(bytes: [0xFF, 0xFF]), payload: ByteBuffer()))
            try await client.send(Array(frame.readableBytesView))
            let response = try await client.next()
            #expect(response?.callID == 5)
            #expect(try status(response) == .invalidArgument)
            await client.close()
        }
    }

    @Test func callsPastTheInFlightLimitAreResourceExhausted() async throws {
        var configuration = ServerConfiguration()
        configuration.connection.maximumConcurrentCalls = 4
        let service = TestService()
        try await withTestServer(configuration: configuration, services: [service]) { _, port in
            let client = try await RawClient(port: port)
            // Gated calls: the first four are still running when the last two arrive,
            // however slowly the sends go on a busy machine.
            for callID in 1...6 {
                try await client.sendRequest(callID: UInt32(callID), method: getLead, payload: GetLeadRequest(id: "gated").serializedBytes())
            }
            var statuses: [UInt32: StatusCode] = [:]
            for answer in 1...6 {
                let frame = try #require(try await client.next())
                statuses[frame.callID] = try status(frame)
                if statuses[frame.callID] == .resourceExhausted {
                    #expect(try frame.responseHeader.details?.retryAfterMs ?? 0 > 0)
                }
                if answer == 2 { service.gateOpen.store(true, ordering: .relaxed) }
            }
            #expect(statuses == [1: .ok, 2: .ok, 3: .ok, 4: .ok, 5: .resourceExhausted, 6: .resourceExhausted])
            await client.close()
        }
    }

    @Test func aFrameOverTheMaximumIsRefusedAndTheConnectionGoesOn() async throws {
        var configuration = ServerConfiguration()
        configuration.connection.maximumFrameSize = 1024
        try await withTestServer(configuration: configuration, services: [TestService()]) { _, port in
            let client = try await RawClient(port: port)
            let big = GetLeadRequest(id: String(repeating: "x", count: 5000)).serializedBytes()
            try await client.sendRequest(callID: 1, method: getLead, payload: big)
            let refused = try await client.next()
            #expect(refused?.callID == 1)
            #expect(try status(refused) == .resourceExhausted)
            #expect(try refused?.responseHeader.details?.reason == "FRAME_TOO_LARGE")
            try await client.sendRequest(callID: 2, method: getLead, payload: GetLeadRequest(id: "small").serializedBytes())
            let answered = try await client.next()
            #expect(answered?.callID == 2)
            #expect(try status(answered) == .ok)
            await client.close()
        }
    }

    @Test func aDuplicateCallIDInFlightIsAProtocolError() async throws {
        try await withTestServer(services: [TestService()]) { _, port in
            let client = try await RawClient(port: port)
            let payload = GetLeadRequest(id: "gated").serializedBytes()  // ended by the close
            try await client.sendRequest(callID: 1, method: getLead, payload: payload)
            try await client.sendRequest(callID: 1, method: getLead, payload: payload)
            let goAway = try #require(try await client.next())
            #expect(goAway.type == .goAway)
            #expect(try GoAway(buffer: goAway.header).reason.contains("already in flight"))
            #expect(try GoAway(buffer: goAway.header).kind == .abort)
            #expect(try await client.next() == nil)  // closed
        }
    }

    @Test func aCallIDReusedAfterCancelGetsItsOwnAnswer() async throws {
        let service = TestService()
        try await withTestServer(services: [service]) { _, port in
            let client = try await RawClient(port: port)
            try await client.sendRequest(callID: 1, method: getLead, payload: GetLeadRequest(id: "gated").serializedBytes())
            #expect(await eventually { service.started.load(ordering: .relaxed) == 1 })
            var cancel = ByteBuffer()
            cancel.writeFrame(Frame(type: .cancel, callID: 1, header: ByteBuffer(), payload: ByteBuffer()))
            try await client.send(Array(cancel.readableBytesView))
            try await client.sendRequest(callID: 1, method: getLead, payload: GetLeadRequest(id: "second").serializedBytes())
            let answer = try #require(try await client.next())
            #expect(answer.callID == 1)
            #expect(try status(answer) == .ok)
            #expect(try Lead(buffer: answer.payload).id == "second")
            // The gated first call ended by its cancellation, not by its gate.
            #expect(await eventually { service.cancellations.load(ordering: .relaxed) == 1 })
            await client.close()
        }
    }

    @Test func gracefulShutdownSendsGoAwayFinishesCallsAndRefusesNewOnes() async throws {
        let service = TestService()
        var configuration = ServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        // Room for call 7 to finish on a busy machine once its gate opens.
        configuration.drainGracePeriod = .seconds(30)
        let server = RPCServer(configuration: configuration, services: [service], logger: .init(label: "test"))
        let running = Task { try await server.run() }
        let port = try await server.listeningAddress.port!
        let client = try await RawClient(port: port)
        // Gated, so that the connection is still draining when call 8 is sent however
        // busy the machine (a 2.5 s sleep was not enough in a CI run where this test
        // took 19 s).
        try await client.sendRequest(callID: 7, method: getLead, payload: GetLeadRequest(id: "gated").serializedBytes())
        #expect(await eventually { service.started.load(ordering: .relaxed) == 1 })

        running.cancel()  // what SIGTERM does through the service group
        let goAwayFrame = try #require(try await client.next())
        #expect(goAwayFrame.type == .goAway)
        #expect(try GoAway(buffer: goAwayFrame.header).lastCallId == 7)
        #expect(try GoAway(buffer: goAwayFrame.header).kind == .drain)
        #expect(server.servingState.isDraining)

        try await client.sendRequest(callID: 8, method: getLead, payload: GetLeadRequest(id: "late").serializedBytes())
        let refused = try #require(try await client.next())
        #expect(refused.callID == 8)
        #expect(try status(refused) == .unavailable)
        service.gateOpen.store(true, ordering: .relaxed)

        let finished = try #require(try await client.next())
        #expect(finished.callID == 7)
        #expect(try status(finished) == .ok)
        #expect(try await client.next() == nil)  // then the server closes the connection
        try await running.value
    }

    @Test func callsStillRunningAfterTheGracePeriodAreCancelled() async throws {
        let service = TestService()
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.drainGracePeriod = .milliseconds(200)
        let server = RPCServer(configuration: configuration, services: [service], logger: .init(label: "test"))
        let running = Task { try await server.run() }
        let client = try await RawClient(port: try await server.listeningAddress.port!)
        try await client.sendRequest(callID: 1, method: getLead, payload: GetLeadRequest(id: "sleep:60000").serializedBytes())
        #expect(await eventually { service.started.load(ordering: .relaxed) == 1 })
        let start = ContinuousClock.now
        running.cancel()
        try await running.value
        #expect(ContinuousClock.now - start < .seconds(30))  // not the call's 60 s
        #expect(await eventually { service.cancellations.load(ordering: .relaxed) == 1 })
    }

    @Test func anIdleConnectionIsClosed() async throws {
        var configuration = ServerConfiguration()
        configuration.connection.idleTimeout = .milliseconds(200)
        try await withTestServer(configuration: configuration, services: []) { _, port in
            let client = try await RawClient(port: port)
            let goAway = try #require(try await client.next())
            #expect(goAway.type == .goAway)
            #expect(try GoAway(buffer: goAway.header).reason == "idle timeout")
            #expect(try GoAway(buffer: goAway.header).kind == .drain)
            #expect(try await client.next() == nil)
        }
    }

    @Test func aFrameThatNeverFinishesArrivingClosesTheConnection() async throws {
        var configuration = ServerConfiguration()
        configuration.connection.slowFrameTimeout = .milliseconds(200)
        try await withTestServer(configuration: configuration, services: []) { _, port in
            let client = try await RawClient(port: port)
            try await client.send([0, 0, 0, 100, 1, 0])  // 6 of 104 bytes
            let goAway = try #require(try await client.next())
            #expect(try GoAway(buffer: goAway.header).reason == "slow frame")
            #expect(try GoAway(buffer: goAway.header).kind == .abort)
            #expect(try await client.next() == nil)
        }
    }

    @Test func connectionsPastTheMaximumAreRefused() async throws {
        var configuration = ServerConfiguration()
        configuration.maximumConnections = 2
        try await withTestServer(configuration: configuration, services: []) { _, port in
            let first = try await RPCConnection.connect(host: "127.0.0.1", port: port)
            let second = try await RPCConnection.connect(host: "127.0.0.1", port: port)
            _ = try await first.ping()
            _ = try await second.ping()
            let third = try await RawClient(port: port)
            let goAway = try #require(try await third.next())
            #expect(try GoAway(buffer: goAway.header).reason == "too many connections")
            #expect(try GoAway(buffer: goAway.header).kind == .drain)
            #expect(try await third.next() == nil)
            _ = try await first.ping()  // the others are unaffected
            await first.close()
            await second.close()
        }
    }
}
