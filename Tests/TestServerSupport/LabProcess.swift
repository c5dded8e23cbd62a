import Foundation

/// A lab server in Tests/Servers run by /usr/bin/python3 (Debian's
/// aiosmtpd, dnslib and cryptography are installed for it only): it prints
/// one line when it is ready and runs until its stdin closes, so it dies
/// with the test process.
public final class LabProcess: @unchecked Sendable {
    /// The line the server printed when ready.
    public let firstLine: Data
    private let process: Process
    private let stdin: Pipe

    /// - Throws: `TestDNSServer.Failure` naming `missing` when the server
    ///   printed nothing (it did not start).
    public init(script: URL, arguments: [String], missing: String) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script.path] + arguments
        let out = Pipe()
        stdin = Pipe()
        process.standardOutput = out
        process.standardInput = stdin
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data([0x0A]) { line += byte }
        guard !line.isEmpty else {
            throw TestDNSServer.Failure(description: "\(script.lastPathComponent) did not start (\(missing))")
        }
        firstLine = line
    }

    /// Closes its stdin and waits for it to end.
    public func stop() {
        try? stdin.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    deinit { if process.isRunning { process.terminate() } }
}
