//! A moto S3 server on loopback, started per test and killed when dropped.

use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Moto {
    pub fn start() -> Moto {
        static ENV: std::sync::Once = std::sync::Once::new();
        ENV.call_once(|| {
            // Dummy credentials for the SDK's standard chain; moto accepts any.
            std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
            std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
            std::env::set_var("AWS_REGION", "us-east-1");
            std::env::remove_var("AWS_PROFILE");
        });
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        // moto_server is often a wrapper (a pyenv shim) that leaves the real server running
        // when it is killed: start it in its own process group and kill the group on drop.
        let child = Command::new("python3")
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("python3 is required for the S3 tests");
        let mut moto = Moto { child, endpoint: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!(
                    "moto's S3 server exited ({status}): install it with `pip install 'moto[server]'` (.ci/test does)"
                );
            }
            assert!(Instant::now() < deadline, "moto's S3 server did not start on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    /// An S3 client for the test's own calls.
    pub fn client(&self) -> (tokio::runtime::Runtime, aws_sdk_s3::Client) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let client = rt.block_on(async {
            let shared =
                aws_config::defaults(aws_config::BehaviorVersion::latest()).endpoint_url(&self.endpoint).load().await;
            aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&shared).force_path_style(true).build())
        });
        (rt, client)
    }

    /// Creates a bucket with Object Lock enabled; its name is `prefix` and a unique suffix.
    pub fn bucket(&self, prefix: &str) -> String {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let name = format!("{prefix}-{}-{}", std::process::id(), N.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
        let (rt, c) = self.client();
        rt.block_on(c.create_bucket().bucket(&name).object_lock_enabled_for_bucket(true).send()).unwrap();
        // S3 turns versioning on with Object Lock; moto needs to be told.
        let enabled = aws_sdk_s3::types::VersioningConfiguration::builder()
            .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
            .build();
        rt.block_on(c.put_bucket_versioning().bucket(&name).versioning_configuration(enabled).send()).unwrap();
        name
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
