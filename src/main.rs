fn main() -> std::process::ExitCode {
    sshgate::cli::main()
}
