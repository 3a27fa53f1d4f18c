//! A PostgreSQL server of a test's own, on a free loopback port, that the
//! test may stop and start (an outage) without touching the shared stack.

use std::{
    path::PathBuf,
    process::{Command, Stdio},
};

use anyhow::{bail, Context, Result};

pub struct PrivatePostgres {
    dir: PathBuf,
    bin: PathBuf,
    pub port: u16,
    as_root: bool,
}

impl PrivatePostgres {
    /// Initialises a cluster in a fresh directory and starts it, with a
    /// database `ledger` owned by the user `ledger`.
    pub fn start() -> Result<PrivatePostgres> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .context("PostgreSQL is not installed (deploy/local/install.sh postgres)")?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|p| p.join("pg_ctl").exists())
            .max()
            .context("no pg_ctl under /usr/lib/postgresql")?;
        let as_root = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
        let dir = std::env::temp_dir().join(format!(
            "ledger-private-pg-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..10]
        ));
        std::fs::create_dir_all(&dir)?;
        let pg = PrivatePostgres {
            dir,
            bin,
            port: crate::free_port()?,
            as_root,
        };
        if as_root {
            pg.run(Command::new("chown").args(["postgres:postgres", &pg.dir.to_string_lossy()]))?;
        }
        let data = pg.data();
        pg.run(pg.tool("initdb").args([
            "-D",
            &data,
            "-U",
            "ledger",
            "--auth=trust",
            "-E",
            "UTF8",
        ]))?;
        pg.up()?;
        pg.run(pg.tool("createdb").args([
            "-h",
            "127.0.0.1",
            "-p",
            &pg.port.to_string(),
            "-U",
            "ledger",
            "ledger",
        ]))?;
        Ok(pg)
    }

    fn data(&self) -> String {
        self.dir.join("data").to_string_lossy().into_owned()
    }

    fn tool(&self, name: &str) -> Command {
        let path = self.bin.join(name);
        if self.as_root {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(path);
            cmd
        } else {
            Command::new(path)
        }
    }

    fn run(&self, cmd: &mut Command) -> Result<()> {
        let out = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).output()?;
        if !out.status.success() {
            bail!("{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    }

    /// Starts the server and waits until it accepts connections.
    pub fn up(&self) -> Result<()> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.to_string_lossy()
        );
        let log = self.dir.join("log").to_string_lossy().into_owned();
        self.run(self.tool("pg_ctl").args([
            "-D",
            &self.data(),
            "-l",
            &log,
            "-w",
            "-t",
            "60",
            "-o",
            &options,
            "start",
        ]))
    }

    /// Stops the server at once, as a crash would (no checkpoint).
    pub fn crash(&self) -> Result<()> {
        self.run(
            self.tool("pg_ctl")
                .args(["-D", &self.data(), "-m", "immediate", "stop"]),
        )
    }

    pub fn url(&self) -> String {
        format!("postgres://ledger@127.0.0.1:{}/ledger", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self.crash();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
