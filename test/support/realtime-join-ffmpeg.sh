#!/bin/sh
# The real ffmpeg, except that a concat join (a clip export) reads its input at real-time speed
# (-re): a 15 s clip takes 15 s to join, so a test can disconnect while the join runs.
case " $* " in
  *" -f concat "*) exec ffmpeg -re "$@" ;;
  *) exec ffmpeg "$@" ;;
esac
