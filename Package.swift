// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "conductor",
    // Linux only, as tested (Debian 12, x86_64): the code relies on Glibc, inotify, pidfd, leases and
    // renameat2. No other platform is declared because none is built or tested.
    products: [
        .executable(name: "conductor", targets: ["conductor"]),
        .library(name: "Conductor", targets: ["Conductor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibgit2",
            path: "Modules/CLibgit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        // libpq's header (Debian's libpq-dev) for its types; the library itself (libpq5) is opened
        // on the first connection, not linked: see Modules/CLibpq/include/CLibpq.h.
        .target(name: "CLibpq", path: "Modules/CLibpq"),
        .target(name: "FoundationShims"),
        // The PostgreSQL queue (issue 16): `conductor worker NAME DIR --queue postgres://…` serves it.
        .target(name: "Postgres", dependencies: ["CLibpq", "FoundationShims"]),
        .target(name: "PostgresQueue", dependencies: ["Postgres", "Queue"]),
        .target(name: "Git", dependencies: ["CLibgit2", "FoundationShims"]),
        .target(name: "Queue", dependencies: ["FoundationShims", "CSystemShims"]),
        .target(name: "CSystemShims"),
        .target(name: "Conductor", dependencies: ["Git", "Queue", "CSystemShims", "FoundationShims", "Postgres", "PostgresQueue"]),
        .executableTarget(
            name: "conductor",
            dependencies: [
                "Conductor",
                "Queue",
                "Postgres",
                "FoundationShims",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The postgres benchmark starts its server with the tests' PostgresServer (TestSupport).
        .executableTarget(name: "conductor-bench", dependencies: ["Conductor", "Queue", "Postgres", "PostgresQueue", "TestSupport"],
                          path: "Benchmarks/conductor-bench"),
        .executableTarget(name: "example-parallel-review", dependencies: ["Conductor"], path: "Examples/ParallelReview"),
        .executableTarget(name: "example-parallel-tests", dependencies: ["Conductor"], path: "Examples/ParallelTests"),
        .executableTarget(name: "example-sequential-pipeline", dependencies: ["Conductor"], path: "Examples/SequentialPipeline"),
        // Prints whether libpq is mapped before and after a connection, for PostgresLoadingTests.
        .executableTarget(name: "postgres-probe", dependencies: ["Postgres"], path: "Tests/PostgresProbe"),
        // Claims a directory queue's tasks from a process of its own, for DirectoryTaskQueueProcessTests.
        .executableTarget(name: "task-queue-claimer", dependencies: ["Queue"], path: "Tests/TaskQueueClaimer"),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "GitTests", dependencies: ["Git", "TestSupport"]),
        .testTarget(name: "QueueTests", dependencies: ["Queue", "TestSupport"]),
        .testTarget(name: "PostgresQueueTests", dependencies: ["PostgresQueue", "Postgres", "Queue", "TestSupport"]),
        .testTarget(name: "ConductorTests", dependencies: ["Conductor", "Queue", "Postgres", "PostgresQueue", "TestSupport"]),
    ]
)
