import Foundation
import MailformCore

/// Saved-plan parsing: arbitrary bytes must be refused cleanly or read.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPlan(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    if let plan = try? SavedPlan.read(bytes, path: "fuzz.json") {
        for change in plan.changes { _ = try? change.desired?.settings() }
        _ = plan.plan.summary
    }
    return 0
}

/// libFuzzer's driver, for a main of our own (SwiftPM names the executable's
/// entry `FuzzPlan_main`).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzPlan_main")
public func FuzzPlanMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzPlan)
}
