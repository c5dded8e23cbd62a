import Foundation
import Testing

/// The real SMTP servers (aiosmtpd) and the Mailgun stub, started once for the
/// test process on free ports of 127.0.0.1. A test that cannot start them fails.
final class TestServers: @unchecked Sendable {
    struct SMTPInfo: Decodable {
        var ports: [String: Int]
        var ca_file: String
        var user: String
        var password: String
    }

    struct MailgunInfo: Decodable {
        var us: String
        var eu: String
        var key: String
    }

    let smtp: SMTPInfo
    let mailgun: MailgunInfo
    let proxyPort: Int
    let state: URL
    private let processes: [Process]
    private let stdins: [Pipe]

    static let shared: Result<TestServers, Error> = Result { try TestServers() }

    static func get() throws -> TestServers { try shared.get() }

    private init() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-servers-\(UUID().uuidString)")
        self.state = state
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        let servers = CommandRunner.packageRoot.appendingPathComponent("Tests/Servers")
        var processes: [Process] = []
        var stdins: [Pipe] = []
        func start(_ script: String, _ dir: String) throws -> Data {
            let process = Process()
            // Debian's aiosmtpd is installed for /usr/bin/python3 only.
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = [servers.appendingPathComponent(script).path, state.appendingPathComponent(dir).path]
            let out = Pipe(), input = Pipe()
            process.standardOutput = out
            process.standardInput = input
            process.standardError = FileHandle.nullDevice
            try process.run()
            processes.append(process)
            stdins.append(input)
            let line = out.fileHandleForReading.readLine()
            guard let line, !line.isEmpty else { throw ServerError(message: "\(script) did not start (is python3-aiosmtpd installed?)") }
            return line
        }
        let smtpLine = try start("smtp_server.py", "smtp")
        let mailgunLine = try start("mailgun_stub.py", "mailgun")
        let proxyLine = try start("socks5_proxy.py", "proxy")
        struct ProxyInfo: Decodable { var port: Int }
        proxyPort = try JSONDecoder().decode(ProxyInfo.self, from: proxyLine).port
        smtp = try JSONDecoder().decode(SMTPInfo.self, from: smtpLine)
        mailgun = try JSONDecoder().decode(MailgunInfo.self, from: mailgunLine)
        self.processes = processes
        self.stdins = stdins
    }

    struct ServerError: Error, CustomStringConvertible { var message: String; var description: String { message } }

    func port(_ name: String) -> Int { smtp.ports[name]! }

    /// The address `--send-test` tests write to; the only mail a probe may send.
    static let sendTestAddress = "sendtest@example.test"

    /// MAIL, RCPT and DATA commands any server received, except those of the
    /// explicit `--send-test` test: must stay empty.
    var forbiddenCommands: String {
        let log = (try? String(contentsOf: state.appendingPathComponent("smtp/forbidden.log"), encoding: .utf8)) ?? ""
        return log.split(separator: "\n").filter { !$0.contains(Self.sendTestAddress) && !$0.contains("sender@sendtest.example.test") }
            .joined(separator: "\n")
    }

    var sentCommands: [String] {
        ((try? String(contentsOf: state.appendingPathComponent("smtp/forbidden.log"), encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
    }

    var mailgunRequests: [String] {
        ((try? String(contentsOf: state.appendingPathComponent("mailgun/requests.log"), encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
    }

    var proxyConnects: [String] {
        ((try? String(contentsOf: state.appendingPathComponent("proxy/proxy.log"), encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
    }

    var environment: [String: String] {
        ["MAILFORM_MAILGUN_US_URL": mailgun.us, "MAILFORM_MAILGUN_EU_URL": mailgun.eu]
    }
}

extension FileHandle {
    /// Reads one line (without the newline) byte by byte; nil at end of file.
    func readLine() -> Data? {
        var line = Data()
        while true {
            let byte = readData(ofLength: 1)
            if byte.isEmpty { return line.isEmpty ? nil : line }
            if byte.first == 0x0A { return line }
            line.append(byte)
        }
    }
}
