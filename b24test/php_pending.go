package b24test

// phpArray stands for *php.Array (internal/php, ordered PHP arrays) until
// that package lands on main; Call.Params then becomes *php.Array.
type phpArray = struct{}
