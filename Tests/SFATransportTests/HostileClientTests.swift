import NIOCore
import SFAServer
import SFAStubs
import SFATransport
import Testing

/// Clients that try to make the server hold memory or time for them.
@Suite struct HostileClientTests {
    private let getLead = LeadServiceMethods.getLead.fullName

    /// A GetLeadRequest that sleeps `milliseconds` in TestService, padded with an
    /// unknown field to `bytes`.
    private func slowRequest(milliseconds: Int, bytes: Int) -> [UInt8] {
        var payload = GetLeadRequest(id: "sleep:\(milliseconds)").serializedBytes()
        let padding = bytes - payload.count - 4
        payload += [0x7A, UInt8(padding & 0x7F | 0x80), UInt8(padding >> 7 & 0x7F | 0x80), UInt8(padding >> 14)]
        return payload + [UInt8](repeating: 0x61, count: padding)
    }

    @Test func aConnectionPipeliningLargeRequestsIsReadOnlyAsFastAsItsCallsFinish() async throws {
        var configuration = ServerConfiguration()
        configuration.connection.maximumRequestBytesInFlight = 2 * 1024 * 1024
        let service = TestService()
        try await withTestServer(configuration: configuration, services: [service]) { _, port in
            let client = try await RawClient(port: port)
            let payload = slowRequest(milliseconds: 500, bytes: 1024 * 1024)
            let sending = Task {
                for callID in 1...8 { try await client.sendRequest(callID: UInt32(callID), method: getLead, payload: payload) }
            }
            try await Task.sleep(for: .milliseconds(250))
            // 2 MiB in flight holds two 1 MiB calls; nothing past them is read meanwhile.
            let startedWhileHeld = service.started.load(ordering: .relaxed)
            #expect(startedWhileHeld <= 2, "\(startedWhileHeld) calls started")
            var answered = 0
            while answered < 8, let frame = try await client.next() {
                #expect(StatusCode(rawValue: try frame.responseHeader.status) == .ok)
                answered += 1
            }
            try await sending.value
            #expect(answered == 8)
            await client.close()
        }
    }
}
