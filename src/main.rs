use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = wangge::config::Cli::parse();
    wangge::telemetry::init();
    match wangge::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
