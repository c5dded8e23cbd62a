import Foundation

/// A compiled JSON Schema (2020-12) node.
///
/// Compilation turns each keyword into a typed field once, so validating ten
/// thousand documents never re-reads the schema JSON.
public final class Schema: @unchecked Sendable {
    enum Boolean { case alwaysValid, alwaysInvalid }

    var boolean: Boolean?
    var types: [String]?
    var enumValues: [JSONValue]?
    var constValue: JSONValue?
    var properties: [(String, Schema)] = []
    var patternProperties: [(NSRegularExpression, Schema)] = []
    var additionalProperties: Schema?
    var required: [String] = []
    var propertyNames: Schema?
    var minProperties: Int?
    var maxProperties: Int?
    var dependentRequired: [(String, [String])] = []
    var dependentSchemas: [(String, Schema)] = []
    var prefixItems: [Schema] = []
    var items: Schema?
    var contains: Schema?
    var minContains: Int?
    var maxContains: Int?
    var minItems: Int?
    var maxItems: Int?
    var uniqueItems = false
    var minLength: Int?
    var maxLength: Int?
    var pattern: (source: String, regex: NSRegularExpression)?
    var patternErrorMessage: String?
    var format: String?
    var minimum: Double?
    var maximum: Double?
    var exclusiveMinimum: Double?
    var exclusiveMaximum: Double?
    var multipleOf: Double?
    var allOf: [Schema] = []
    var anyOf: [Schema] = []
    var oneOf: [Schema] = []
    var not: Schema?
    var ifSchema: Schema?
    var thenSchema: Schema?
    var elseSchema: Schema?
    /// The absolute URI of a `$ref`, resolved to `refTarget` after compilation.
    var refURI: String?
    var refTarget: Schema?

    init() {}

    /// The names of `properties`, for "did you mean" hints.
    var propertyNamesList: [String] { properties.map(\.0) }

    func property(_ name: String) -> Schema? {
        for (key, schema) in properties where key == name { return schema }
        return nil
    }
}

/// Errors in a schema itself (not in an instance).
public struct SchemaError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
