export const HELP = `camera-recorder — records RTSP cameras into clock-aligned MP4 segments and ships them to S3.

Usage:
  camera-recorder [--config <file>]     run the service (config file, then environment)
  camera-recorder --check-config        validate the configuration, print it (secrets masked), exit
  camera-recorder demo [--dir <dir>]    two synthetic cameras, 10 s segments, stored under <dir>;
                                        needs nothing but ffmpeg (default dir: ./camera-recorder-demo)
  camera-recorder clips list   --camera <id> --from <time> --to <time> [--json]
                                        segments in the bucket covering a range, and the gaps
  camera-recorder clips export --camera <id> --from <time> --to <time> -o <clip.mp4> [--json]
                                        one seekable MP4 cut from the bucket (stream copy)
  camera-recorder --help | --version

Times are ISO 8601 with a zone: 2025-12-14T14:03:10Z or 2025-12-14T15:03:10+01:00.

Options:
  --config <file>     TOML configuration (default: $CONFIG_PATH); see config.example.toml
  --check-config      validate and print the effective configuration
  --dir <dir>         demo: where segments and the embedded store go
  --duration <time>   demo: stop by itself after this long (e.g. 30s); default: until Ctrl-C
  --port <port>       demo: HTTP port for /health, /ready, /metrics (default 9090)

Environment (wins over the file): S3_ENDPOINT S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY S3_BUCKET
  S3_REGION CAMERA<N>_RTSP_URL METRICS_PORT TEMP_DIR MAX_CONCURRENT_UPLOADS LOG_LEVEL
  SEGMENT_DURATION STORAGE FILESYSTEM_ROOT ... (README: Configuration)

Exit codes: 0 stopped cleanly, 1 crashed, 2 bad configuration or command line.
Signals: SIGTERM/SIGINT/SIGHUP stop gracefully (segments finalized, uploads drained); a second one exits at once.
`;
