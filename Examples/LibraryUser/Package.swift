// swift-tools-version: 6.0
// A program that uses Conductor as a library, the way a package of yours would: its own package,
// depending on the `Conductor` product. `make example` builds and runs it.
import PackageDescription

let package = Package(
    name: "LibraryUser",
    dependencies: [
        .package(name: "conductor", path: "../.."),
    ],
    targets: [
        .executableTarget(name: "library-user", dependencies: [.product(name: "Conductor", package: "conductor")], path: "Sources/LibraryUser"),
    ]
)
