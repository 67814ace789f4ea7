module github.com/attendify/hub

go 1.26.0

require github.com/attendify/platform v0.0.0

require (
	github.com/alexedwards/argon2id v1.0.0 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

replace github.com/attendify/platform => ../../platform
