import ArgumentParser
import Conductor
import FoundationEssentials
import Queue
import Dispatch
import FoundationShims
#if canImport(Glibc)
import Glibc
#endif

/// conductor's exit codes, and how errors map onto them.
enum Failure {
    static let tasksFailed = ExitCode(1)
    static let badInput = ExitCode(2)
    static let environment = ExitCode(3)
    static let interrupted = ExitCode(130)

    /// The exit code for an error that ends a command.
    static func code(for error: Error) -> ExitCode {
        switch error {
        case is TasksFileError, is AgentError, is ValidationError, is InputError, is FollowupError, is TaskQueueAddressError: badInput
        case is TaskInspectionError: badInput
        case let error as SessionError:
            switch error {
            case .badDirectory, .batchHasName, .nameTaken: badInput
            default: environment
            }
        case let error as TaskQueueError:
            switch error {
            case .workerNameTaken: environment
            default: badInput
            }
        case let error as BatchError:
            switch error {
            case .running: environment
            default: badInput
            }
        default: environment
        }
    }

    /// One clear line (or one per problem) for the user, not a Foundation error dump.
    static func message(for error: Error) -> String {
        switch error {
        case let error as CustomStringConvertible: error.description
        default: "\(error)"
        }
    }
}

/// Bad input that is not a usage mistake: one line, exit 2, no usage text.
struct InputError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body`; an error it throws is printed without `queue`'s password and ends the command
/// with the error's exit code.
func hidingPassword<T>(of queue: TaskQueueAddress, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        printError("conductor: " + queue.scrub(Failure.message(for: error)))
        throw Failure.code(for: error)
    }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    RawFile.write(Data((line + "\n").utf8), to: STDERR_FILENO)
}

/// True when standard error is a terminal (progress may redraw in place).
var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
