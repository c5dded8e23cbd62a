import Foundation
import Testing
@testable import MailformCore

/// One case per policy rule: the rule id, severity and position.
struct PolicyTests {
    struct Case: CustomStringConvertible, Sendable {
        var rule: String
        var severity: Severity
        var mode: String
        var yaml: String
        var description: String { rule }
    }

    static let cases: [Case] = [
        Case(rule: "saas-smtp-port", severity: .error, mode: "saas", yaml: validCompany.replacingOccurrences(of: "port: 587", with: "port: 1️⃣25")),
        Case(rule: "saas-smtp-auth", severity: .error, mode: "saas", yaml: validCompany.replacingOccurrences(of: "  username: mailer@acme.example.com\n  password: ${env:MAILFORM_ACME__SECRET}\n", with: "").replacingOccurrences(of: "smtp:\n", with: "1️⃣smtp:\n")),
        Case(rule: "saas-smtp-tls", severity: .error, mode: "saas", yaml: validCompany + "  starttls: 1️⃣optional\n"),
        Case(rule: "saas-tls-protocols", severity: .error, mode: "saas", yaml: validCompany + "  ssl_protocols: [1️⃣TLSv1.1, TLSv1.2]\n"),
        Case(rule: "tls-legacy-protocol", severity: .warning, mode: "on-premise", yaml: validCompany + "  ssl_protocols: [1️⃣TLSv1.1, TLSv1.2]\n"),
        Case(rule: "tls-exclusive", severity: .error, mode: "on-premise", yaml: validCompany + "  ssl: true\n  starttls: 1️⃣required\n"),
        Case(rule: "ssl-trust-all", severity: .warning, mode: "saas", yaml: validCompany + "  ssl_trust: 1️⃣\"*\"\n"),
        Case(rule: "smtp-credentials-pair", severity: .error, mode: "on-premise", yaml: validCompany.replacingOccurrences(of: "  password: ${env:MAILFORM_ACME__SECRET}\n", with: "").replacingOccurrences(of: "  username:", with: "  username: 1️⃣").replacingOccurrences(of: "1️⃣ ", with: "1️⃣")),
        Case(rule: "dsar-sender-domain", severity: .error, mode: "saas", yaml: validCompany + "dsar_sender:\n  email: 1️⃣dpo@elsewhere.example.org\n"),
        Case(rule: "mailgun-sender-domain", severity: .warning, mode: "saas", yaml: "company: m\nsender:\n  email: 1️⃣a@other.example.com\nprovider: mailgun\nmailgun:\n  domain: mg.m.example.com\n  api_key: ${env:MAILFORM_M__SECRET}\n"),
        // A provider domain in DNS's absolute form (a final dot) is no domain the provider lists.
        Case(rule: "mailchimp-sender-domain", severity: .error, mode: "saas", yaml: "company: m\nsender:\n  email: a@mc.example.test\nprovider: mailchimp\nmailchimp:\n  domain: 1️⃣mc.example.test.\n  api_key: ${env:MAILFORM_M__SECRET}\n"),
        Case(rule: "pool-purpose-unique", severity: .error, mode: "saas", yaml: validCompany + "smtp_pools:\n  a:\n    use_for: [dsar]\n    servers: [{host: a.example.com, username: u, password: \"${env:MAILFORM_ACME__POOL_SECRET}\"}]\n  b:\n    use_for: [1️⃣dsar]\n    servers: [{host: b.example.com, username: u, password: \"${env:MAILFORM_ACME__POOL_SECRET}\"}]\n"),
        Case(rule: "unused-provider-settings", severity: .warning, mode: "saas", yaml: validCompany.replacingOccurrences(of: "provider: smtp", with: "provider: platform").replacingOccurrences(of: "smtp:\n", with: "1️⃣smtp:\n")),
        Case(rule: "secret-env-fence", severity: .error, mode: "saas", yaml: validCompany.replacingOccurrences(of: "password: ${env:MAILFORM_ACME__SECRET}", with: "password: 1️⃣${env:GITHUB_TOKEN}")),
        Case(rule: "secret-file-fence", severity: .error, mode: "saas", yaml: validCompany.replacingOccurrences(of: "password: ${env:MAILFORM_ACME__SECRET}", with: "password: 1️⃣${file:../../../../etc/passwd}")),
        Case(rule: "platform-ip-identity", severity: .warning, mode: "saas", yaml: validCompany.replacingOccurrences(of: "host: smtp.acme.example.com", with: "host: 1️⃣192.0.2.10")),
        Case(rule: "platform-untrusted-host", severity: .warning, mode: "saas", yaml: validCompany + "  1️⃣ssl_trust: [relay.acme.example.com]\n"),
        Case(rule: "logo-file", severity: .error, mode: "saas", yaml: validCompany.replacingOccurrences(of: "  email: no-reply@acme.example.com\n", with: "  email: no-reply@acme.example.com\n  logo: 1️⃣../../outside.png\n")),
    ]

    @Test(arguments: cases)
    func ruleFires(_ c: Case) throws {
        let ws = try TemporaryWorkspace(["mailform.yaml": "mode: \(c.mode)\n", "companies/a.yaml": c.yaml])
        let result = ws.load()
        let matching = result.diagnostics.diagnostics.filter { $0.rule == c.rule }
        try #require(matching.count == 1, "\(result.diagnostics.diagnostics.map { "\($0.rule ?? "-"): \($0.message)" })")
        #expect(matching[0].severity == c.severity)
        #expect(matching[0].hint?.isEmpty == false)
        #expect(matching[0].location == ws.location("companies/a.yaml", "1️⃣"))
        #expect(result.diagnostics.diagnostics.count == 1, "\(result.diagnostics.diagnostics.map(\.message))")
    }

    /// What the platform's client refuses is warned at validate time, with
    /// the client named; the runtime setting decides the IP case.
    @Test func platformClientWarningsNameTheClient() throws {
        let ip = validCompany.replacingOccurrences(of: "host: smtp.acme.example.com", with: "host: 192.0.2.10")
        let plain = try TemporaryWorkspace(["mailform.yaml": "mode: saas\n", "companies/a.yaml": ip])
        let warning = try #require(plain.load().diagnostics.diagnostics.first { $0.rule == "platform-ip-identity" })
        #expect(warning.message.contains("the platform's Jakarta Mail 2.x (Java 17) cannot check the IP address 192.0.2.10"))
        #expect(warning.hint?.contains("--add-exports java.base/sun.security.util=ALL-UNNAMED") == true)
        for runtime in ["library: angus-mail", "java_add_exports: true"] {
            let ws = try TemporaryWorkspace(["mailform.yaml": "mode: saas\nplatform:\n  mail_client:\n    \(runtime)\n", "companies/a.yaml": ip])
            #expect(!ws.load().diagnostics.diagnostics.contains { $0.rule == "platform-ip-identity" }, "\(runtime)")
        }
        // No TLS, no check: an anonymous on-premise relay on an IP.
        let relay = try TemporaryWorkspace(["mailform.yaml": "mode: on-premise\n",
                                            "companies/a.yaml": "company: a\nsender:\n  email: a@a.example.com\nprovider: smtp\nsmtp:\n  host: 192.0.2.10\n  port: 25\n  starttls: off\n"])
        #expect(relay.load().diagnostics.diagnostics.isEmpty)
        let gap = try TemporaryWorkspace(["mailform.yaml": "mode: on-premise\n", "companies/a.yaml": validCompany + "  ssl_protocols: [TLSv1.1, TLSv1.3]\n"])
        let gapWarning = try #require(gap.load().diagnostics.diagnostics.first { $0.rule == "platform-protocol-gap" })
        #expect(gapWarning.message.contains("smtp.ssl_protocols leaves out TLSv1.2"))
        #expect(gapWarning.severity == .warning)
    }

    @Test func onPremiseAllowsAnonymousRelayOnPort25() throws {
        let yaml = "company: relay\nsender:\n  email: a@corp.example.com\nprovider: smtp\nsmtp:\n  host: relay.corp.example.com\n  port: 25\n  starttls: optional\n"
        let ws = try TemporaryWorkspace(["mailform.yaml": "mode: on-premise\n", "companies/a.yaml": yaml])
        #expect(ws.load().diagnostics.diagnostics.isEmpty)
        let saas = try TemporaryWorkspace(["mailform.yaml": "mode: saas\n", "companies/a.yaml": yaml])
        #expect(Set(saas.load().diagnostics.diagnostics.compactMap(\.rule)) == ["saas-smtp-port", "saas-smtp-auth", "saas-smtp-tls"])
    }

    @Test func logoImagesAreCheckedByContent() throws {
        let ws = try TemporaryWorkspace(["companies/a.yaml": validCompany.replacingOccurrences(of: "  email: no-reply@acme.example.com\n", with: "  email: no-reply@acme.example.com\n  logo: logo.png\n")])
        try ws.writeBytes("companies/logo.png", Array("not really a png".utf8))
        #expect(ws.load().diagnostics.diagnostics.first?.message
                == "logo file is not a usable PNG, JPEG or SVG image: the file is not a PNG, a JPEG or an SVG (its root element must be <svg>): 'logo.png'")
        // A PNG signature alone (what a first-bytes check took for an image) is refused.
        try ws.writeBytes("companies/logo.png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0])
        #expect(ws.load().diagnostics.diagnostics.first?.message.contains("the PNG file ends before its IEND chunk") == true)
        try ws.writeBytes("companies/logo.png", Self.onePixelPNG)
        let result = ws.load()
        #expect(result.diagnostics.diagnostics.isEmpty)
        guard case .image(let image)? = result.companies.first?.company.logo else { Issue.record("logo not loaded"); return }
        #expect(image.mediaType == "image/png")
        #expect(image.sha256 == Digest.sha256Hex(Self.onePixelPNG))
    }

    /// A valid 1×1 grey PNG (IHDR, IDAT, IEND with their CRCs).
    static let onePixelPNG: [UInt8] = [
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3A, 0x7E, 0x9B, 0x55, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41,
        0x54, 0x78, 0x9C, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x48, 0xAF, 0xA4, 0x71, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]

    /// Logos are images by parse: an HTML page named acme.png (taken as
    /// SVG by a first-bytes check), scripts, handlers, external references
    /// and tricks to hide them are located errors; clean SVG, PNG and JPEG pass.
    @Test(arguments: [
        ("<html><body><svg></svg><script>alert(1)</script></body></html>", "root element must be <svg>"),
        ("<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>", "<script> element"),
        ("<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>", "event handler attribute (onload=)"),
        ("<svg><a href=\"javascript:alert(1)\"><text>x</text></a></svg>", "javascript: link"),
        ("<svg><a xlink:href=\"#&#106;avascript:alert(1)\"/></svg>", "character or entity reference"),
        ("<svg><image href=\"https://evil.example/x.png\"/></svg>", "links to something outside itself"),
        ("<svg><rect style=\"fill: url(https://evil.example/f)\"/></svg>", "url() not to a #fragment"),
        ("<svg><foreignObject><div>x</div></foreignObject></svg>", "<foreignobject> element"),
        ("<?xml version=\"1.0\"?><!DOCTYPE svg [<!ENTITY x \"y\">]><svg>&x;</svg>", "DOCTYPE"),
        ("<svg><svg:script>alert(1)</svg:script></svg>", "<script> element"),
        ("<svg><style><![CDATA[ @import url(x) ]]></style></svg>", "CDATA"),
        // A quote inside a comment or a processing instruction once hid the tags after it.
        ("<svg xmlns=\"http://www.w3.org/2000/svg\"><!-- \" --><script>alert(1)</script><!-- \" --></svg>", "<script> element"),
        ("<svg><?pi \" ?><rect onmouseover=\"alert(1)\"/><?pi \" ?></svg>", "processing instruction"),
        ("<svg><a><set attributeName=\"href\" to=\"https://evil.example/\"/></a></svg>", "animates a link"),
        ("<svg><set attributeName=\"href\" to=\"java\tscript:alert(1)\"/></svg>", "javascript: link"),
        // From the fourth review: whitespace around `=`, a decoy attribute, a spaced handler, image-set().
        ("<svg><a href=\"#a\"><set attributeName\n=\n\"href\" to=\"https://evil.example/x\"/></a></svg>", "animates a link"),
        ("<svg><a href=\"#a\"><set data-x=\"attributename\" attributeName=\"href\" to=\"https://evil.example/x\"/></a></svg>", "animates a link"),
        ("<svg><rect><set attributeName = \"onclick\" to=\"alert(1)\"/></rect></svg>", "animates a link or an event handler"),
        ("<svg><style>rect{background-image:image-set(\"https://e.x/a\" 1x)}</style></svg>", "image-set()"),
        // From the hostile review: a prefixed root is an SVG root too, and CSS escapes spell anything.
        ("<s:svg xmlns:s=\"http://www.w3.org/2000/svg\"><s:style>@import \"http://127.0.0.1:9/x.css\";</s:style><s:rect/></s:svg>", "an @import"),
        ("<s:svg xmlns:s=\"http://www.w3.org/2000/svg\"><s:rect style=\"fill:image-set('http://e.x/a' 1x)\"/></s:svg>", "image-set()"),
        ("<svg><rect style=\"fill:u\\72l(http://127.0.0.1:9/a)\"/></svg>", "a backslash"),
        ("<svg><rect fill=\"\\75 rl(http://127.0.0.1:9/a)\"/></svg>", "a backslash"),
        ("<svg><style>@\\69mport \"http://127.0.0.1:9/x.css\";</style></svg>", "a backslash"),
        // From the second hostile review: a prepended character (U+0600) made one character of itself and
        // a quote, hiding the attributes after it; a style sheet by processing instruction; markup an HTML
        // parser reads out of a comment or a processing instruction; XHTML elements that fetch.
        ("<svg xmlns=\"http://www.w3.org/2000/svg\" a=\"\u{0600}\" onload=\"alert(document.domain)\" b=\"\"></svg>", "outside printable ASCII"),
        ("<?xml-stylesheet type=\"text/css\" href=\"http://127.0.0.1:9/x\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>", "processing instruction"),
        ("<svg xmlns=\"http://www.w3.org/2000/svg\"><?x ><image href=\"http://127.0.0.1:9/x\"/>?></svg>", "processing instruction"),
        ("<svg xmlns=\"http://www.w3.org/2000/svg\"><!--><image href=\"http://127.0.0.1:9/x\"/> --></svg>", "comment holds < or >"),
        ("<svg xmlns=\"http://www.w3.org/2000/svg\"><h:img xmlns:h=\"http://www.w3.org/1999/xhtml\" srcset=\"http://127.0.0.1:9/x 1x\"/></svg>", "<img> element"),
        ("<svg xmlns=\"http://www.w3.org/2000/svg\"><h:meta xmlns:h=\"http://www.w3.org/1999/xhtml\" http-equiv=\"refresh\" content=\"0;url=http://127.0.0.1:9/\"/></svg>", "<meta> element"),
        // From the third hostile review: what an HTML page reads out of looser tags.
        ("<svg xmlns=\"http://www.w3.org/2000/svg\"><g ' a=x><image/href=https://127.0.0.1:9/x.png><g b='></svg>", "not written as XML writes it"),
        ("<svg xmlns=\"http://www.w3.org/2000/svg\"><title><style><a title=\"</style><img src=https://127.0.0.1:9/x.png>\"></a></style></title></svg>", "not written as XML writes it"),
        ("<svg xmlns=\"http://www.w3.org/2000/svg\"><rect width=10/></svg>", "not written as XML writes it"),
    ])
    func logosWithScriptsOrOutsideReferencesAreRefused(_ svg: String, _ why: String) {
        guard case .refused(let message) = ImageCheck.check(Array(svg.utf8)) else { Issue.record("accepted: \(svg)"); return }
        #expect(message.contains(why), "\(message)")
    }

    @Test func cleanImagesAreAccepted() throws {
        let svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- logo -->\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\"><defs><linearGradient id=\"g\"/></defs><rect width=\"10\" height=\"10\" fill=\"url(#g)\"/><use href=\"#g\"/><text>A &amp; B</text></svg>"
        #expect(ImageCheck.check(Array(svg.utf8)) == .image(mediaType: "image/svg+xml"))
        #expect(ImageCheck.check(Self.onePixelPNG) == .image(mediaType: "image/png"))
        var corrupt = Self.onePixelPNG
        corrupt[20] = 2  // the width changes, the CRC does not
        #expect(ImageCheck.check(corrupt) == .refused("a PNG chunk's checksum does not match (a damaged or disguised file)"))
        // The check value of CRC-32 (ISO 3309): "123456789" gives 0xCBF43926.
        #expect(ImageCheck.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(ImageCheck.crc32([]) == 0)
        // A minimal baseline JPEG header: SOI, APP0, SOF0 of 16×8.
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x08, 0x00, 0x10, 0x01, 0x01, 0x11, 0x00,
                             0xFF, 0xD9]
        #expect(ImageCheck.check(jpeg) == .image(mediaType: "image/jpeg"))
        // Polyglots: an image followed by something else is refused.
        #expect(ImageCheck.check(jpeg + Array("<html>".utf8)) == .refused("the JPEG does not end with its end-of-image marker (FF D9)"))
        #expect(ImageCheck.check(Self.onePixelPNG + Array("<html>".utf8)) == .refused("the PNG has 6 bytes after its IEND chunk"))
        var huge = jpeg
        huge[13] = 0xFF; huge[14] = 0xFF  // 65,535 rows
        if case .refused(let why) = ImageCheck.check(huge) { #expect(why.contains("at most 16384")) } else { Issue.record("huge JPEG accepted") }
        let examplePNG = try Array(Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../examples/logos/acme.png")))
        #expect(ImageCheck.check(examplePNG) == .image(mediaType: "image/png"))
    }

    @Test func sha256MatchesKnownVector() {
        #expect(Digest.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest.sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
