//! Plugins as child processes over stdio: the host spawns this same program once per plugin
//! (`plugins plugin KIND`), lists them and calls each.
//!
//! Run it with `cargo run -p examples --bin plugins`.

use std::time::Duration;

use examples::plugins::{KINDS, PluginImpl, PluginProcess, serve_plugin};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    examples::init_tracing();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => host().await,
        ["plugin", kind] => {
            let plugin = PluginImpl::new(kind).ok_or(format!("no plugin called {kind}"))?;
            // Stdout carries the frames, so the plugin logs only to stderr.
            let ended = serve_plugin(plugin).await;
            tracing::info!(%ended, "plugin {kind}: the host went away");
            Ok(())
        }
        _ => {
            eprintln!("usage: plugins | plugins plugin KIND");
            std::process::exit(2);
        }
    }
}

async fn host() -> Result<(), Box<dyn std::error::Error>> {
    let program = std::env::current_exe()?;
    let mut plugins = Vec::new();
    for kind in KINDS {
        plugins.push(PluginProcess::spawn(&program, kind)?);
    }
    println!("host: started {} plugins", plugins.len());
    for p in &plugins {
        let name = p.plugin.describe().await?;
        println!(
            "host: {name}: apply(\"capstan\") = {}",
            p.plugin.apply("capstan").await?
        );
    }
    let mut clean = 0;
    for p in plugins {
        clean += usize::from(p.stop(Duration::from_secs(5)).await);
    }
    println!("host: {clean} plugin(s) exited cleanly");
    Ok(())
}
