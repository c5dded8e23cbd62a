import Foundation
import Testing
import JSONSchema
@testable import MailformCore

/// A provider is described once (`ProviderSchemes`, its folder): the schema
/// file must say what its fields say, and every consumer must take its
/// section from them.
struct ProviderSchemeTests {
    /// The schema's `provider` words and each HTTP-API provider's section
    /// agree with the registered providers: the keys, what is required,
    /// the closed words and their default, and that a secret is a reference.
    @Test func schemaFragmentsMatchTheProvidersFields() throws {
        let schema = SchemaCatalog.companyJSON
        let words = (schema["properties"]?["provider"]?["enum"]?.value.elements ?? []).compactMap(\.value.stringValue)
        #expect(Set(words) == ProviderSchemes.words)
        // Each section once (a parser keeps one of two equal keys silently).
        let sections = (schema["properties"]?.value.members ?? []).map(\.key)
        #expect(sections.count == Set(sections).count, "a key of company.schema.json's properties is written twice: \(sections)")
        #expect(!ProviderSchemes.apis.isEmpty)
        for api in ProviderSchemes.apis {
            let section = try #require(schema["properties"]?[api.word], "no \(api.word) section in company.schema.json")
            #expect(section["additionalProperties"]?.value == .bool(false), "\(api.word)")
            let keys = (section["properties"]?.value.members ?? []).map(\.key)
            #expect(keys == api.fields.map(\.name), "\(api.word): the schema's keys, in the fields' order")
            let required = Set((section["required"]?.value.elements ?? []).compactMap(\.value.stringValue))
            #expect(required == Set(api.fields.filter { $0.required || $0.isSecret }.map(\.name)), "\(api.word)")
            for field in api.fields {
                let node = try #require(section["properties"]?[field.name])
                #expect(node["description"]?.value.stringValue?.isEmpty == false, "\(api.path(field)) has no description")
                switch field.kind {
                case .secret: #expect(node["$ref"]?.value.stringValue == "#/$defs/secretReference", "\(api.path(field))")
                case .word(let values):
                    #expect((node["enum"]?.value.elements ?? []).compactMap(\.value.stringValue) == values, "\(api.path(field))")
                    #expect(node["default"]?.value.stringValue == field.defaultValue, "\(api.path(field))")
                case .text: #expect(node["type"]?.value.stringValue == "string", "\(api.path(field))")
                }
            }
            // provider: WORD needs its section.
            let conditions = (schema["allOf"]?.value.elements ?? []).filter {
                $0["if"]?["properties"]?["provider"]?["const"]?.value.stringValue == api.word
            }
            #expect(conditions.count == 1 && conditions.first?["then"]?["required"]?.value.elements?.first?.value.stringValue == api.word,
                    "provider: \(api.word) must require a \(api.word): section")
        }
    }

    /// The plan's paths and the export's variable names come from the
    /// fields, and a field's change sends the company through the DNS stage
    /// when the field says so.
    @Test func pathsAndNamesComeFromTheFields() {
        let mailgun = try! #require(ProviderSchemes.api(.mailgun))
        #expect(mailgun.fields.map { mailgun.path($0) } == ["mailgun.domain", "mailgun.api_key", "mailgun.region"])
        #expect(SecretNames.envName(company: "acme-eu", path: "mailgun.api_key") == "MAILFORM_ACME_EU__MAILGUN_API_KEY")
        #expect(CompanyShape.sendingPaths.isSuperset(of: ["mailgun.domain", "mailgun.api_key", "mailgun.region", "provider"]))
        #expect(Provider(rawValue: "mailgun") == .mailgun)
        #expect(Provider(rawValue: "sendmail") == nil)
    }

    /// A company's Mailgun section survives every form it takes: the saved
    /// plan's document, the bytes of a company kept aside, and the flattened
    /// fields, in the provider's field order.
    @Test func aProviderSectionRoundTrips() throws {
        let secret = PlannedSecret(reference: "${env:MAILFORM_ACME__MAILGUN_API_KEY}", origin: "companies/acme.yaml", fingerprint: "ab")
        var company = Company<PlannedSecret>(id: "acme", name: nil, sender: Identity(email: "a@mg.acme.example", name: nil), logo: nil,
                                             dsarSender: nil, provider: .mailgun, smtp: nil,
                                             apis: [APISettings(provider: .mailgun, values: ["mg.acme.example", "eu"], secrets: [secret])],
                                             pools: [], probeDisabledReason: nil)
        company.scalars.provider = .mailgun
        let json = try JSONEncoder().encode(CompanyDocument(company))
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains("\"mailgun\":{"))
        let back = try JSONDecoder().decode(CompanyDocument.self, from: json).settings()
        #expect(back.mailgun?.domain == "mg.acme.example" && back.mailgun?.region == .eu && back.mailgun?.apiKey == secret)
        // A section with a key its provider does not declare is no plan's.
        let tampered = text.replacingOccurrences(of: "\"region\":\"eu\"", with: "\"region\":\"eu\",\"base_url\":\"https://evil.example\"")
        #expect(throws: (any Error).self) { try JSONDecoder().decode(CompanyDocument.self, from: Data(tampered.utf8)).settings() }
        // So is a section of a provider this version does not know.
        let unknown = text.replacingOccurrences(of: "\"mailgun\":{", with: "\"postmark\":{\"domain\":\"x\"},\"mailgun\":{")
        #expect(unknown != text)
        #expect(throws: (any Error).self) { try JSONDecoder().decode(CompanyDocument.self, from: Data(unknown.utf8)).settings() }
        let flat = FieldFlattener.flatten(company) { SecretFingerprint(hex: $0.fingerprint) }.map(\.path)
        #expect(flat.filter { $0.hasPrefix("mailgun.") } == ["mailgun.domain", "mailgun.api_key", "mailgun.region"])
    }
}
