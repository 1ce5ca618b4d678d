// Built into initoverlayfs and unit_tests with -DIOFS_SANITIZE (see
// CMakeLists.txt here): the sanitizers' options as compiled-in defaults,
// because the namespace tests start the program with an empty environment
// (env -i), as the kernel starts PID 1, and whatever it has it hands on to
// the next init. Any report aborts: a namespace test then sees PID 1 die
// and the report on its output; ASAN_OPTIONS and UBSAN_OPTIONS still
// override these.
extern "C" {
const char* __asan_default_options() {
  return "abort_on_error=1:halt_on_error=1:detect_leaks=1:print_summary=1";
}
const char* __ubsan_default_options() {
  return "abort_on_error=1:halt_on_error=1:print_stacktrace=1:print_summary=1";
}
const char* __lsan_default_options() { return "exitcode=23"; }
}
