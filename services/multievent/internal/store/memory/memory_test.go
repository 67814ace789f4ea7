package memory_test

import (
	"testing"

	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/multievent/internal/store/memory"
	"github.com/attendify/multievent/internal/store/storetest"
)

func newStore(*testing.T) storetest.Store { return memory.NewStore() }

func TestProjectionContract(t *testing.T) { storetest.Projection(t, newStore) }
func TestSearchContract(t *testing.T)     { storetest.Search(t, newStore) }
func TestLinksContract(t *testing.T)      { storetest.Links(t, newStore) }

func TestAgendasContract(t *testing.T) {
	storetest.Agendas(t, func(*testing.T) service.Agendas { return memory.NewAgendas() })
}

func TestContentContract(t *testing.T) {
	storetest.Content(t, func(*testing.T) service.Content { return memory.NewContent() })
}
