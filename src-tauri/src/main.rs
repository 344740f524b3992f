fn main() {
    credence_desktop::run();
}
