import JSONSchema

// The JSON Schema library's errors, as mailform reports them.
extension SchemaError: MailformError {
    public var code: ErrorCode { .schemaInvalid }
    public var message: String { description }
}

extension JSONParser.Failure: MailformError {
    public var code: ErrorCode { .jsonSyntax }
}
