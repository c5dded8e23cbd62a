import Foundation

/// Compiles schema JSON into ``Schema`` nodes and resolves `$ref`s across the
/// resources (`$id`) and anchors (`$anchor`) the documents define.
final class SchemaCompiler {
    /// Keywords whose value is one subschema.
    static let singleSchemaKeywords: Set<String> = [
        "additionalProperties", "items", "contains", "propertyNames", "not", "if", "then", "else",
        "unevaluatedItems", "unevaluatedProperties", "contentSchema",
    ]
    /// Keywords whose value maps names to subschemas.
    static let schemaMapKeywords: Set<String> = [
        "$defs", "definitions", "properties", "patternProperties", "dependentSchemas",
    ]
    /// Keywords whose value is a list of subschemas.
    static let schemaListKeywords: Set<String> = ["allOf", "anyOf", "oneOf", "prefixItems"]

    private var resources: [String: JSONNode] = [:]
    private var locations: [String: (node: JSONNode, base: String)] = [:]
    private var compiledByURI: [String: Schema] = [:]
    private var pendingRefs: [Schema] = []
    private var regexCache: [String: NSRegularExpression] = [:]

    /// Registers a schema document under `baseURI` (its `$id` wins when present).
    func register(_ document: JSONNode, baseURI: String) {
        walk(document, base: baseURI, resource: baseURI, pointer: "")
        if resources[baseURI] == nil { resources[baseURI] = document }
        if locations[baseURI + "#"] == nil {
            var ownBase = baseURI
            if let id = document["$id"]?.value.stringValue, !id.hasPrefix("#") {
                ownBase = URIResolution.split(URIResolution.resolve(id, against: baseURI)).base
            }
            locations[baseURI + "#"] = (document, ownBase)
        }
    }

    private func walk(_ node: JSONNode, base: String, resource: String, pointer: String) {
        guard case .object = node.value else { return }
        var base = base
        var resource = resource
        var pointer = pointer
        if let id = node["$id"]?.value.stringValue, !id.hasPrefix("#") {
            base = URIResolution.split(URIResolution.resolve(id, against: base)).base
            resources[base] = node
            resource = base
            pointer = ""
        }
        if let anchor = node["$anchor"]?.value.stringValue {
            locations[resource + "#" + anchor] = (node, base)
        }
        locations[resource + "#" + pointer] = (node, base)
        for member in node.value.members ?? [] {
            let escaped = member.key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
            let here = pointer + "/" + escaped
            if Self.singleSchemaKeywords.contains(member.key) {
                walk(member.value, base: base, resource: resource, pointer: here)
            } else if Self.schemaMapKeywords.contains(member.key) {
                for sub in member.value.value.members ?? [] {
                    let subEscaped = sub.key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
                    walk(sub.value, base: base, resource: resource, pointer: here + "/" + subEscaped)
                }
            } else if Self.schemaListKeywords.contains(member.key) {
                for (i, sub) in (member.value.value.elements ?? []).enumerated() {
                    walk(sub, base: base, resource: resource, pointer: here + "/\(i)")
                }
            }
        }
    }

    /// Compiles the document registered at `uri` and resolves every reference it reaches.
    func compileRoot(uri: String) throws -> Schema {
        let root = try schema(forURI: uri)
        while let next = pendingRefs.popLast() {
            guard let target = next.refURI else { continue }
            next.refTarget = try schema(forURI: target)
        }
        return root
    }

    private func schema(forURI uri: String) throws -> Schema {
        let uri = URIResolution.normalize(uri)
        if let done = compiledByURI[uri] { return done }
        let (resourceURI, fragment) = URIResolution.split(uri)
        let located: (node: JSONNode, base: String)
        if let hit = locations[resourceURI + "#" + (fragment ?? "")] {
            located = hit
        } else if (fragment ?? "").isEmpty, let root = resources[resourceURI] {
            located = (root, resourceURI)
        } else if let fragment, fragment.hasPrefix("/"), let root = resources[resourceURI] {
            var node = root
            for token in URIResolution.pointerTokens(fragment) {
                if let child = node[token] {
                    node = child
                } else if let index = Int(token), let elements = node.value.elements, index < elements.count {
                    node = elements[index]
                } else {
                    throw SchemaError("cannot resolve $ref '\(uri)'")
                }
            }
            located = (node, resourceURI)
        } else {
            throw SchemaError("cannot resolve $ref '\(uri)'")
        }
        let placeholder = Schema()
        compiledByURI[uri] = placeholder
        try fill(placeholder, from: located.node, base: located.base, baseIncludesOwnID: true)
        return placeholder
    }

    func compile(_ node: JSONNode, base: String) throws -> Schema {
        let schema = Schema()
        try fill(schema, from: node, base: base)
        return schema
    }

    /// `pattern` and `patternProperties` regexes are ECMA-262; ``ECMARegex``
    /// translates them to ICU with the same meaning, or refuses them.
    private func regex(_ pattern: String) throws -> NSRegularExpression {
        if let cached = regexCache[pattern] { return cached }
        do {
            let regex = try ECMARegex.compile(pattern)
            regexCache[pattern] = regex
            return regex
        } catch {
            switch error.kind {
            case .syntax: throw SchemaError("invalid regular expression '\(pattern)': \(error)")
            case .unsupported: throw SchemaError("unsupported regular expression '\(pattern)': \(error)")
            }
        }
    }

    private func number(_ node: JSONNode?, _ keyword: String) throws -> Double? {
        guard let node else { return nil }
        guard let d = node.value.doubleValue else { throw SchemaError("\(keyword) must be a number") }
        return d
    }

    private func count(_ node: JSONNode?, _ keyword: String) throws -> Int? {
        guard let d = try number(node, keyword) else { return nil }
        guard d >= 0, d.rounded() == d else { throw SchemaError("\(keyword) must be a non-negative integer") }
        return d > Double(Int.max / 2) ? Int.max / 2 : Int(d)
    }

    /// - Parameter baseIncludesOwnID: true when `base` was computed by the
    ///   registry walk, which has already applied the node's own `$id`.
    private func fill(_ schema: Schema, from node: JSONNode, base: String, baseIncludesOwnID: Bool = false) throws {
        switch node.value {
        case .bool(let b):
            schema.boolean = b ? .alwaysValid : .alwaysInvalid
            return
        case .object:
            break
        default:
            throw SchemaError("a schema must be an object or a boolean")
        }
        var base = base
        if !baseIncludesOwnID, let id = node["$id"]?.value.stringValue, !id.hasPrefix("#") {
            base = URIResolution.split(URIResolution.resolve(id, against: base)).base
        }
        func sub(_ key: String) throws -> Schema? {
            guard let child = node[key] else { return nil }
            return try compile(child, base: base)
        }
        func subList(_ key: String) throws -> [Schema] {
            guard let child = node[key] else { return [] }
            guard let elements = child.value.elements else { throw SchemaError("\(key) must be an array") }
            return try elements.map { try compile($0, base: base) }
        }
        func subMap(_ key: String) throws -> [(String, Schema)] {
            guard let child = node[key] else { return [] }
            guard let members = child.value.members else { throw SchemaError("\(key) must be an object") }
            return try members.map { ($0.key, try compile($0.value, base: base)) }
        }

        if let type = node["type"] {
            switch type.value {
            case .string(let s): schema.types = [s]
            case .array(let list): schema.types = list.compactMap { $0.value.stringValue }
            default: throw SchemaError("type must be a string or an array")
            }
        }
        if let values = node["enum"] {
            guard let list = values.value.elements else { throw SchemaError("enum must be an array") }
            schema.enumValues = list.map(\.value)
        }
        if let c = node["const"] { schema.constValue = c.value }
        schema.properties = try subMap("properties")
        schema.patternProperties = try subMap("patternProperties").map { (try regex($0.0), $0.1) }
        schema.additionalProperties = try sub("additionalProperties")
        if let required = node["required"] {
            schema.required = (required.value.elements ?? []).compactMap { $0.value.stringValue }
        }
        schema.propertyNames = try sub("propertyNames")
        schema.minProperties = try count(node["minProperties"], "minProperties")
        schema.maxProperties = try count(node["maxProperties"], "maxProperties")
        if let dependent = node["dependentRequired"]?.value.members {
            schema.dependentRequired = dependent.map { ($0.key, ($0.value.value.elements ?? []).compactMap { $0.value.stringValue }) }
        }
        schema.dependentSchemas = try subMap("dependentSchemas")
        schema.prefixItems = try subList("prefixItems")
        schema.items = try sub("items")
        schema.contains = try sub("contains")
        schema.minContains = try count(node["minContains"], "minContains")
        schema.maxContains = try count(node["maxContains"], "maxContains")
        schema.minItems = try count(node["minItems"], "minItems")
        schema.maxItems = try count(node["maxItems"], "maxItems")
        if case .bool(let unique)? = node["uniqueItems"]?.value { schema.uniqueItems = unique }
        schema.minLength = try count(node["minLength"], "minLength")
        schema.maxLength = try count(node["maxLength"], "maxLength")
        if let pattern = node["pattern"]?.value.stringValue {
            schema.pattern = (pattern, try regex(pattern))
        }
        schema.patternErrorMessage = node["patternErrorMessage"]?.value.stringValue
        schema.format = node["format"]?.value.stringValue
        schema.minimum = try number(node["minimum"], "minimum")
        schema.maximum = try number(node["maximum"], "maximum")
        schema.exclusiveMinimum = try number(node["exclusiveMinimum"], "exclusiveMinimum")
        schema.exclusiveMaximum = try number(node["exclusiveMaximum"], "exclusiveMaximum")
        schema.multipleOf = try number(node["multipleOf"], "multipleOf")
        schema.allOf = try subList("allOf")
        schema.anyOf = try subList("anyOf")
        schema.oneOf = try subList("oneOf")
        schema.not = try sub("not")
        schema.ifSchema = try sub("if")
        schema.thenSchema = try sub("then")
        schema.elseSchema = try sub("else")
        if let ref = node["$ref"]?.value.stringValue {
            schema.refURI = URIResolution.resolve(ref, against: base)
            pendingRefs.append(schema)
        }
    }
}
