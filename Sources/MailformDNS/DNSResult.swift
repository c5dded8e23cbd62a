/// The answer to one `DNSQuery` of any type (the batch API's result).
public typealias DNSResult = DNSAnswer<[DNSRecord]>
