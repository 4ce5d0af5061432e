// The {{NAME}} extension service: a placeholder to replace with your program. It logs that it started, a line
// every --interval, and that it stopped when Talos stops the service (SIGTERM).
package main

import (
	"context"
	"flag"
	"log"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	interval := flag.Duration("interval", time.Minute, "how often to log that the service is running")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	log.Printf("{{NAME}} started")

	ticker := time.NewTicker(*interval)
	defer ticker.Stop()

	for {
		select {
		case <-ctx.Done():
			log.Printf("{{NAME}} stopping")

			return
		case <-ticker.C:
			log.Printf("{{NAME}} running")
		}
	}
}
