package riakkv

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	riak "github.com/basho/riak-go-client"

	"github.com/attendify/platform/errs"
)

// bucketType is one of the four bucket types the store keeps its data in,
// and what it needs of it.
type bucketType struct {
	setting  string // the configuration variable that names it
	name     string
	datatype string // Riak's datatype property; "" for plain objects
}

// bucketTypes are the store's bucket types, by what they hold.
type bucketTypes struct{ objects, counters, sets, maps bucketType }

func (c Config) bucketTypes() bucketTypes {
	return bucketTypes{
		objects:  bucketType{"RIAK_OBJECTS_TYPE", c.ObjectsType, ""},
		counters: bucketType{"RIAK_COUNTERS_TYPE", c.CountersType, "counter"},
		sets:     bucketType{"RIAK_SETS_TYPE", c.SetsType, "set"},
		maps:     bucketType{"RIAK_MAPS_TYPE", c.MapsType, "map"},
	}
}

func (bt bucketTypes) all() []bucketType {
	return []bucketType{bt.objects, bt.counters, bt.sets, bt.maps}
}

// props returns the properties to create the type with.
func (t bucketType) props() string {
	if t.datatype == "" {
		return `{"props":{"allow_mult":true}}`
	}
	return fmt.Sprintf(`{"props":{"datatype":%q}}`, t.datatype)
}

// setup returns the commands that create and activate the type on Riak KV
// 3.x (`riak-admin` instead of `riak admin` on 2.x).
func (t bucketType) setup() string {
	return fmt.Sprintf("riak admin bucket-type create %s '%s' && riak admin bucket-type activate %s", t.name, t.props(), t.name)
}

// describe names the type and its setting for a message.
func (t bucketType) describe() string {
	return fmt.Sprintf("bucket type %q (%s)", t.name, t.setting)
}

// translate is translate for a command on the type: a missing or wrong
// type is reported with the commands that set it up.
func (t bucketType) translate(err error, what string, args ...any) error {
	out := translate(err, what, args...)
	if msg, ok := riakMessage(err); ok && errors.Is(out, errs.Internal) && misconfigured(msg) {
		return errs.Wrap(errs.Internal, err, "riakkv: %s: %s is missing or of the wrong kind (Riak: %s); it is set up with: %s",
			fmt.Sprintf(what, args...), t.describe(), msg, t.setup())
	}
	return out
}

// check returns what is wrong with the type's properties, as read from
// Riak, or "". A datatype and strong consistency are fixed when a type is
// created; allow_mult and last_write_wins can be updated.
func (t bucketType) check(p *riak.FetchBucketPropsResponse) string {
	recreate := fmt.Sprintf("a type's datatype and consistency cannot be changed: create one with %s, or point %s at one", t.setup(), t.setting)
	switch {
	case p.DataType != t.datatype && t.datatype == "":
		return fmt.Sprintf("holds the data type %q, not plain objects; %s", p.DataType, recreate)
	case p.DataType != t.datatype && p.DataType == "":
		return fmt.Sprintf("holds plain objects, not the data type %q; %s", t.datatype, recreate)
	case p.DataType != t.datatype:
		return fmt.Sprintf("holds the data type %q, not %q; %s", p.DataType, t.datatype, recreate)
	case p.Consistent:
		return "is strongly consistent (consistent: true); " + recreate
	case !p.AllowMult || p.LastWriteWins:
		// Without siblings a write racing another one, or a delete,
		// would silently overwrite it.
		return fmt.Sprintf("has allow_mult %v and last_write_wins %v; fix it with: riak admin bucket-type update %s '{\"props\":{\"allow_mult\":true,\"last_write_wins\":false}}'",
			p.AllowMult, p.LastWriteWins, t.name)
	}
	return ""
}

// checkBucketTypes reads the properties of the store's bucket types
// (RpbGetBucketTypeReq) and reports every one that is missing, inactive or
// misconfigured, with the commands that fix it. riak_core_pb_bucket_type
// (riak_api) answers "Invalid bucket type: <<\"name\">>" for a type that
// was never created or not activated (riak_core_claimant:get_bucket_type/2
// hides inactive types), and otherwise every property of the type, its
// datatype as the atom's name (riak_pb_codec:encode_bucket_props/1).
func (s *adapter) checkBucketTypes(ctx context.Context) error {
	var problems []string
	for _, t := range s.cfg.bucketTypes().all() {
		cmd, err := s.exec(ctx, repeatable, func(time.Duration) (riak.Command, error) {
			return riak.NewFetchBucketTypePropsCommandBuilder().WithBucketType(t.name).Build()
		})
		if msg, _ := riakMessage(err); strings.HasPrefix(msg, "Invalid bucket type") {
			problems = append(problems, fmt.Sprintf("%s does not exist or is not active; create it with: %s", t.describe(), t.setup()))
			continue
		}
		if err != nil {
			return translate(err, "read the properties of %s", t.describe())
		}
		resp := cmd.(*riak.FetchBucketTypePropsCommand).Response
		if resp == nil {
			return errs.New(errs.Internal, "riakkv: read the properties of %s: Riak returned none", t.describe())
		}
		if p := t.check(resp); p != "" {
			problems = append(problems, t.describe()+" "+p)
		}
	}
	if len(problems) > 0 {
		return errs.New(errs.Internal, "riakkv: Riak is not set up for the store: %s", strings.Join(problems, "; "))
	}
	return nil
}
