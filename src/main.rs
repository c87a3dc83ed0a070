//! The `packetgate` binary: parse arguments, run, map the outcome to an exit code.
//! Exit codes live here and only here: 0 pass, 1 a packet fails, 2 usage or config error.

use clap::Parser;

use packetgate::Cli;
use packetgate::Exit;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { Exit::Usage as u8 } else { 0 });
        }
    };
    match packetgate::run(cli) {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(e) => {
            eprintln!("packetgate: error: {e:#}");
            ExitCode::from(Exit::Usage as u8)
        }
    }
}
