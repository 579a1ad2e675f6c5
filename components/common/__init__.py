"""What every service integration shares: polite HTTP with retries, API errors, secret masking."""
