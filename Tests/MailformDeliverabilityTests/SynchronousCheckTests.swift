import Foundation
import MailformDeliverability
import Testing
import TestServerSupport

/// The CLI's synchronous bridge works from a plain thread, as from `main`.
struct SynchronousCheckTests {
    @Test func runsFromAPlainThread() async throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        let inputs = [DeliverabilityInput(company: "acme", senderDomain: "nodmarc.test", dsarDomain: nil,
                                          sending: .smtp(host: "127.0.0.1"), dkimSelector: "s1")]
        let ids: [String] = try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result {
                    try SynchronousCheck.run(inputs, servers: [server.address], timeoutMilliseconds: 2_000).map(\.id)
                })
            }.start()
        }
        #expect(ids == ["dmarc-missing"])
    }
}
