module github.com/attendify/social

go 1.26.0

require (
	github.com/attendify/hub v0.0.0
	github.com/attendify/platform v0.0.0
)

require golang.org/x/image v0.48.0 // indirect

replace (
	github.com/attendify/hub => ../hub
	github.com/attendify/platform => ../../platform
)
