import Foundation
import Testing
@testable import MailformCore
@testable import MailformStore

/// Companies an apply keeps aside come back as they went in, and a changed
/// byte in the file stops the read (nothing of the company is used).
struct SpilledCompaniesTests {
    static func company(_ id: String, password: String) -> Company<ResolvedSecret> {
        let secret = ResolvedSecret(reference: SecretReference(kind: .file("secrets/\(id).txt")), secret: Secret(password),
                                    origin: "/w/companies/\(id).yaml", canonical: "${file:secrets/\(id).txt}")
        var company = Company<ResolvedSecret>(
            id: id, name: "Company \(id)", sender: Identity(email: "no-reply@\(id).example.test", name: "Privacy"),
            logo: .image(LogoImage(fileName: "\(id).png", mediaType: "image/png", bytes: [0x89, 0x50, 0x4E, 0x47, 1, 2, 3],
                                   sha256: Digest.sha256Hex([0x89, 0x50, 0x4E, 0x47, 1, 2, 3]))),
            dsarSender: Identity(email: "dpo@\(id).example.test", name: nil), provider: .smtp,
            smtp: SMTPServer(host: "smtp.\(id).example.test", port: 587, username: "mailer", password: secret, starttls: .required,
                             ssl: false, sslTrust: [], sslCheckIdentity: true, sslProtocols: ["TLSv1.3"]),
            mailgun: nil, pools: [], probeDisabledReason: nil)
        company.waivers = [Waiver(rule: "dsar-sender-domain", reason: "DPO on a subdomain", until: "2099-01-31")]
        return company
    }

    @Test func companiesComeBackAsTheyWentIn() throws {
        let spill = try SpilledCompanies()
        let box = try SecretBox(key: StoreKey(bytes: [UInt8](repeating: 7, count: 32)))
        let companies = (0..<5).map { Self.company("c\($0)", password: "pw-\($0)") }
        try spill.append(Array(companies[0..<2]))
        try spill.append(Array(companies[2...]))
        #expect(spill.ids == Set(companies.map(\.id)))
        let read = try spill.read(["c4", "c1", "unknown"])
        #expect(read.count == 2)
        for id in ["c1", "c4"] {
            let original = try #require(companies.first { $0.id == id }), back = try #require(read[id])
            #expect(try Reconciler.digest(back, box: box) == Reconciler.digest(original, box: box))
            #expect(back.smtp?.secrets["password"]?.canonical == "${file:secrets/\(id).txt}")
            #expect(back.smtp?.secrets["password"]?.origin == "/w/companies/\(id).yaml")
            #expect(back.waivers.map(\.rule) == ["dsar-sender-domain"])
        }
    }

    @Test func aChangedByteStopsTheRead() throws {
        let spill = try SpilledCompanies()
        try spill.append([Self.company("c0", password: "pw-0"), Self.company("c1", password: "pw-1")])
        // The file holds no value in the clear.
        var size = stat()
        #expect(fstat(spill.fd, &size) == 0)
        var bytes = [UInt8](repeating: 0, count: Int(size.st_size))
        #expect(pread(spill.fd, &bytes, bytes.count, 0) == bytes.count)
        #expect(!String(decoding: bytes, as: UTF8.self).contains("pw-0"))
        #expect(!String(decoding: bytes, as: UTF8.self).contains("c0.example.test"))
        // One byte of the first company flipped.
        var byte = [bytes[40] ^ 1]
        #expect(pwrite(spill.fd, &byte, 1, 40) == 1)
        #expect(throws: SpilledCompanies.Failure.self) { try spill.read(["c0"]) }
        #expect(try spill.read(["c1"]).count == 1)
    }
}
