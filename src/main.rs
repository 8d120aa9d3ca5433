fn main() {
    std::process::exit(pplay::cli::main());
}
