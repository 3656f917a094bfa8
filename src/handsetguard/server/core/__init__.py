"""Pure helpers of the service: identifiers, credential tokens, signed envelopes, code lists."""
