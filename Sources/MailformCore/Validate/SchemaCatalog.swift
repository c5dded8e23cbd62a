import JSONSchema

/// The published schemas, embedded in the binary from `schemas/` at build time,
/// compiled once per process.
public enum SchemaCatalog {
    public static let companyText = String(decoding: PackageResources.company_schema_json, as: UTF8.self)
    public static let workspaceText = String(decoding: PackageResources.workspace_schema_json, as: UTF8.self)
    public static let planText = String(decoding: PackageResources.plan_schema_json, as: UTF8.self)

    static let companyJSON: JSONNode = try! JSONParser.parse(companyText)
    static let workspaceJSON: JSONNode = try! JSONParser.parse(workspaceText)

    /// A programmer error if the embedded schema does not compile: the test
    /// suite compiles both, so a broken schema never ships.
    public static let company: Validator = try! Validator(schema: companyJSON, baseURI: "https://mailform.dev/schemas/company.schema.json")
    public static let workspace: Validator = try! Validator(schema: workspaceJSON, baseURI: "https://mailform.dev/schemas/workspace.schema.json")

    /// The `description` the schema gives the field at `path`, for hints:
    /// the property's own, else the one of the definition it refers to.
    static func description(in schema: JSONNode, at path: [PathElement]) -> String? {
        guard let field = field(in: schema, at: path) else { return nil }
        if let text = field["description"]?.value.stringValue { return text }
        return resolveRef(field, root: schema)["description"]?.value.stringValue
    }

    /// The schema node of the field at `path`, its `$ref` resolved.
    static func node(in schema: JSONNode, at path: [PathElement]) -> JSONNode? {
        field(in: schema, at: path).map { resolveRef($0, root: schema) }
    }

    /// The subschema that describes the value at `path`, as written (a `$ref` left unresolved).
    private static func field(in schema: JSONNode, at path: [PathElement]) -> JSONNode? {
        var node = schema
        for element in path {
            node = resolveRef(node, root: schema)
            switch element {
            case .key(let key):
                if let property = node["properties"]?[key] {
                    node = property
                } else if let additional = node["additionalProperties"], case .object = additional.value {
                    node = additional
                } else {
                    return nil
                }
            case .index:
                guard let items = node["items"] else { return nil }
                node = items
            }
        }
        return node
    }

    static func resolveRef(_ node: JSONNode, root: JSONNode) -> JSONNode {
        guard let ref = node["$ref"]?.value.stringValue, ref.hasPrefix("#/") else { return node }
        var target = root
        for token in ref.dropFirst(2).split(separator: "/") {
            guard let next = target[String(token)] else { return node }
            target = next
        }
        return target
    }
}
