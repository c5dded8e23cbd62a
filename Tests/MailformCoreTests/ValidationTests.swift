import Foundation
import Testing
@testable import MailformCore

/// Schema and policy diagnostics, each checked against a marker in the YAML.
struct ValidationTests {
    func single(_ result: LoadResult) throws -> Diagnostic {
        let errors = result.diagnostics.sorted
        try #require(errors.count == 1, "expected one diagnostic, got \(errors.map(\.message))")
        return errors[0]
    }

    @Test func unknownKeySuggestsTheClosest() throws {
        let ws = try TemporaryWorkspace(["companies/a.yaml": validCompany.replacingOccurrences(of: "  password:", with: "  1️⃣pasword:")])
        let d = try single(ws.load())
        #expect(d.message == "unknown key 'pasword' in smtp")
        #expect(d.hint == "did you mean 'password'?")
        #expect(d.location == ws.location("companies/a.yaml", "1️⃣"))
    }

    @Test func portAboveMaximumSpeaksPlainly() throws {
        let ws = try TemporaryWorkspace([
            "mailform.yaml": "mode: on-premise\n",
            "companies/a.yaml": validCompany.replacingOccurrences(of: "port: 587", with: "port: 1️⃣70000"),
        ])
        let d = try single(ws.load())
        #expect(d.message == "port 70000 is above the maximum 65535")
        #expect(d.location == ws.location("companies/a.yaml", "1️⃣"))
    }

    /// The store keeps ssl_trust space-separated, as Jakarta Mail reads
    /// it: an entry with a space would come back as two, so the plan would
    /// never settle. It is refused where it is written.
    @Test func anSSLTrustEntryWithASpaceIsRefused() throws {
        let ws = try TemporaryWorkspace([
            "mailform.yaml": "mode: on-premise\n",
            "companies/a.yaml": validCompany + "  ssl_trust: [a.example.com, 1️⃣\"c, d\"]\n",
        ])
        let d = try single(ws.load())
        #expect(d.message.hasPrefix("an ssl_trust entry is one host name: no spaces"))
        #expect(d.location == ws.location("companies/a.yaml", "1️⃣"))
    }

    @Test func providerSMTPRequiresTheSection() throws {
        // Shown at the provider that asks for it (a new user was sent to line 1).
        let ws = try TemporaryWorkspace(["companies/a.yaml": "company: a\nsender:\n  email: a@a.example.com\nprovider: 1️⃣smtp\n"])
        let d = try single(ws.load())
        #expect(d.message == "missing required key 'smtp'")
        #expect(d.location == ws.location("companies/a.yaml", "1️⃣"))
    }

    @Test func literalSecretShowsTheReference() throws {
        let ws = try TemporaryWorkspace(["companies/a.yaml": validCompany.replacingOccurrences(of: "password: ${env:MAILFORM_ACME__SECRET}", with: "password: 1️⃣hunter22")])
        let d = try single(ws.load())
        #expect(d.message == "password must be a secret reference like ${env:NAME} or ${file:PATH}, never a literal value")
        #expect(d.hint?.contains("${env:MAILFORM_ACME__SMTP_PASSWORD}") == true)
        #expect(d.location == ws.location("companies/a.yaml", "1️⃣"))
        #expect(!DiagnosticRenderer.text([d], style: .plain).contains("hunter22"))
    }

    /// `${file:}` is read relative to the file that names it: the hint's path
    /// leads from that file (a company or a profile) to the workspace's secrets/.
    @Test func literalSecretHintIsRelativeToTheFileAndNamesItsRule() throws {
        let ws = try TemporaryWorkspace([
            "secrets/README.md": "secret files\n",
            "companies/eu/a.yaml": validCompany.replacingOccurrences(of: "password: ${env:MAILFORM_ACME__SECRET}", with: "password: hunter22"),
            "profiles/relay.yaml": "smtp:\n  host: relay.example.com\n  username: relay@acme.example.com\n  password: hunter22\n",
            "companies/b.yaml": "company: b\nextends: relay\nsender:\n  email: a@acme.example.com\nprovider: smtp\n",
        ])
        let hints = ws.load().diagnostics.sorted.map { ($0.location?.file ?? "", $0.rule, $0.hint ?? "") }
        #expect(hints.count == 2, "\(hints)")
        for (file, rule, hint) in hints {
            #expect(rule == "literal-secret")
            if file.hasSuffix("companies/eu/a.yaml") {
                #expect(hint.contains("password: ${file:../../secrets/acme-smtp.txt}"), "\(hint)")
            } else {
                #expect(file.hasSuffix("profiles/relay.yaml"))
                #expect(hint.contains("password: ${file:../secrets/b-smtp.txt}"), "\(hint)")
            }
        }
    }

    /// A provider's field written at the top level (as Mailgun's old
    /// examples tempt) is moved, not deleted: the hint names the sections.
    @Test func aProvidersFieldAtTheTopLevelIsToBeMoved() throws {
        let ws = try TemporaryWorkspace(["companies/a.yaml": "company: a\nsender:\n  email: a@a.example.com\nprovider: platform\napi_key: ${env:MAILFORM_A__SENDGRID_API_KEY}\n"])
        let d = try single(ws.load())
        #expect(d.location?.line == 5)
        #expect(d.hint == "move api_key under your provider's section (" + ProviderSchemes.apis.map { "\($0.word):" }.joined(separator: " or ") + "), indented")
    }

    @Test func missingKeyHintsNameTheValuesNotTheDescription() throws {
        let ws = try TemporaryWorkspace(["companies/a.yaml": "company: a\nsender:\n  email: a@a.example.com\n"])
        let d = try single(ws.load())
        #expect(d.message == "missing required key 'provider'")
        // Every registered provider's word, in the schema's order.
        let words = ProviderSchemes.all.map(\.provider.rawValue)
        #expect(d.hint == "add provider: " + words.dropLast().joined(separator: ", ") + " or " + words.last!)
    }

    @Test func yesIsTextInYAML12() throws {
        let ws = try TemporaryWorkspace(["companies/a.yaml": validCompany + "  ssl_check_identity: 1️⃣yes\n"])
        let d = try single(ws.load())
        #expect(d.message == "ssl_check_identity must be a boolean, not a string ('yes')")
        #expect(d.hint?.contains("true or false") == true)
        #expect(d.location == ws.location("companies/a.yaml", "1️⃣"))
    }

    @Test func everyErrorOfEveryFileAtOnce() throws {
        let ws = try TemporaryWorkspace([
            "companies/a.yaml": validCompany.replacingOccurrences(of: "port: 587", with: "port: 25"),
            "companies/b.yaml": "company: b\nprovider: mail\n",
            "companies/c.yaml": "company: [\n",
        ])
        let result = ws.load()
        let files = Set(result.diagnostics.diagnostics.compactMap { $0.location?.file.split(separator: "/").last.map(String.init) })
        #expect(files == ["a.yaml", "b.yaml", "c.yaml"])
        #expect(result.diagnostics.errorCount >= 4)
        #expect(result.companies.isEmpty)
    }

    @Test func profileValuesReportTheProfilesLocation() throws {
        let ws = try TemporaryWorkspace([
            "mailform.yaml": "mode: saas\n",
            "profiles/relay.yaml": "provider: smtp\nsmtp:\n  host: relay.example.net\n  port: 1️⃣25\n",
            "companies/a.yaml": "company: a\nextends: relay\nsender:\n  email: a@a.example.com\nsmtp:\n  username: u\n  password: ${env:MAILFORM_A__SECRET}\n",
        ])
        let d = try single(ws.load())
        #expect(d.rule == "saas-smtp-port")
        #expect(d.location == ws.location("profiles/relay.yaml", "1️⃣"))
    }

    @Test func profileMergeKeepsCompanyValues() throws {
        let ws = try TemporaryWorkspace([
            "profiles/relay.yaml": "provider: smtp\nsmtp:\n  host: relay.example.net\n  port: 587\n  starttls: required\n",
            "companies/a.yaml": "company: a\nextends: relay\nsender:\n  email: a@a.example.com\nsmtp:\n  host: own.example.net\n  username: u\n  password: ${env:MAILFORM_A__SECRET}\n",
        ])
        let result = ws.load()
        #expect(!result.diagnostics.hasErrors)
        let company = try #require(result.companies.first?.company)
        #expect(company.smtp?.host == "own.example.net")
        #expect(company.smtp?.port == 587)
        #expect(company.smtp?.username == "u")
    }

    @Test func unknownProfileSuggests() throws {
        let ws = try TemporaryWorkspace([
            "profiles/relay.yaml": "provider: platform\n",
            "companies/a.yaml": "company: a\nextends: 1️⃣rely\nsender:\n  email: a@a.example.com\n",
        ])
        let d = try single(ws.load())
        #expect(d.message == "profile 'rely' does not exist")
        #expect(d.hint == "did you mean 'relay'?")
        #expect(d.location == ws.location("companies/a.yaml", "1️⃣"))
    }

    @Test func duplicateCompanyIDNamesBothFiles() throws {
        let ws = try TemporaryWorkspace([
            "companies/a.yaml": "company: 1️⃣same\nsender:\n  email: a@a.example.com\nprovider: platform\n",
            "companies/b.yaml": "company: 1️⃣same\nsender:\n  email: b@b.example.com\nprovider: platform\n",
        ])
        let d = try single(ws.load())
        #expect(d.message.hasPrefix("company id 'same' is already used by"))
        #expect(d.location == ws.location("companies/b.yaml", "1️⃣"))
        #expect(d.related.first?.location == ws.location("companies/a.yaml", "1️⃣"))
    }

    @Test func folderExpansionSkipsProfilesAndNestedWorkspaces() throws {
        let ws = try TemporaryWorkspace([
            "mailform.yaml": "mode: saas\n",
            "profiles/p.yaml": "provider: platform\n",
            "companies/a.yaml": "company: a\nsender:\n  email: a@a.example.com\nprovider: platform\n",
            "companies/deep/b.yml": "company: b\nsender:\n  email: b@b.example.com\nprovider: platform\n",
            "nested/mailform.yaml": "mode: saas\n",
            "nested/x.yaml": "not: a company\n",
            ".hidden/y.yaml": "not: a company\n",
        ])
        let result = CompanyLoader.load(paths: [ws.root.path])
        #expect(result.fileCount == 2)
        #expect(result.companies.map(\.company.id) == ["a", "b"])
    }

    @Test func workspaceFileIsValidatedToo() throws {
        let ws = try TemporaryWorkspace([
            "mailform.yaml": "mode: sass\n",
            "companies/a.yaml": "company: a\nsender:\n  email: a@a.example.com\nprovider: platform\n",
        ])
        let d = try single(ws.load())
        #expect(d.message == "'sass' is not a valid mode; expected one of 'saas', 'on-premise'")
        #expect(d.hint == "did you mean 'saas'?")
    }
}

struct IgnoreFileTests {
    @Test func mailformignoreSkipsFoldersAndFiles() throws {
        let ws = try TemporaryWorkspace([
            ".mailformignore": "# not company files\nci/\nk8s/*.yaml\ndraft-*.yml\n",
            "companies/a.yaml": "company: a\nsender:\n  email: a@a.example.com\nprovider: platform\n",
            "ci/github-actions.yml": "on: [push]\njobs: {}\n",
            "k8s/deploy.yaml": "kind: Deployment\n",
            "companies/draft-b.yml": "company: [\n",
        ])
        let result = CompanyLoader.load(paths: [ws.root.path])
        #expect(result.fileCount == 1)
        #expect(result.diagnostics.diagnostics.isEmpty, "\(result.diagnostics.diagnostics.map(\.message))")
    }
}

/// A literal secret written in a file is never repeated in a message,
/// whatever form the mistake takes.
struct LiteralSecretMessageTests {
    @Test(arguments: [
        "password: 98765432",
        "password: 0987654",
        "password: !!int 98765x43",
        "password: [98765432]",
        "password: \"98765432\"",
        "password: {value: 98765432}",
    ])
    func secretValueIsNeverQuoted(_ line: String) throws {
        let yaml = validCompany.replacingOccurrences(of: "password: ${env:MAILFORM_ACME__SECRET}", with: line)
        let ws = try TemporaryWorkspace(["companies/a.yaml": yaml])
        let result = ws.load()
        #expect(result.diagnostics.hasErrors)
        let text = DiagnosticRenderer.text(result.diagnostics.sorted, style: .plain)
        for fragment in ["98765432", "0987654", "98765x43"] {
            #expect(!text.contains(fragment), "\(text)")
        }
    }
}
