//! `wangge open311 key add|list|revoke`: API keys from the command line, the only place they
//! are made.

use sqlx::PgPool;

use super::keys;
use crate::audit::Actor;
use crate::config::{KeyCommand, Open311Command};

pub async fn run(pool: &PgPool, command: Open311Command) -> anyhow::Result<()> {
    let actor = Actor::command_line();
    let mut tx = pool.begin().await?;
    match command {
        Open311Command::Key(KeyCommand::Add { name, district }) => {
            let (key, secret) = keys::create(&mut tx, &name, &district, &actor).await?;
            tx.commit().await?;
            println!("Open311 key «{}» files into {}; the key is shown this once:", key.name, key.district);
            println!("{secret}");
        }
        Open311Command::Key(KeyCommand::List) => {
            for key in keys::list(&mut tx).await? {
                let state = key
                    .revoked_at
                    .map_or_else(|| "active".to_owned(), |at| format!("revoked {}", at.format("%Y-%m-%d %H:%M UTC")));
                println!(
                    "{:<24} {:<16} created {}  {state}",
                    key.name,
                    key.district,
                    key.created_at.format("%Y-%m-%d %H:%M UTC")
                );
            }
        }
        Open311Command::Key(KeyCommand::Revoke { name }) => {
            let key = keys::revoke(&mut tx, &name, &actor).await?;
            tx.commit().await?;
            println!("Open311 key «{}» of {} is revoked", key.name, key.district);
        }
    }
    Ok(())
}
