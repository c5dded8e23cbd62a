import Foundation
import Testing
import TestServerSupport

/// The test DNS server's daemons and its watcher live as long as the test
/// process: they must hold none of its other files. A test that read a
/// child's output to its end (the RFC 7208 suite's converter) waited forever
/// once the watcher had inherited that pipe, and the test run never ended.
struct TestServerHygieneTests {
    @Test func theServersHoldNoneOfTheTestProcesssPipes() throws {
        let pipe = Pipe()
        let server = try TestDNSServer.start()
        defer { server.stop() }
        try pipe.fileHandleForWriting.close()
        // With no other writer, the read end is at its end at once.
        var poller = pollfd(fd: pipe.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, 3_000)
        #expect(ready == 1, "the pipe's read end is still waiting: a server or its watcher holds the write end")
        #expect(pipe.fileHandleForReading.availableData.isEmpty)
    }
}
