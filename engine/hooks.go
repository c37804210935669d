package engine

import "stockroom/model"

// OnProposalAction registers f to be called after each committed action on
// a proposal, from whichever session took it (serve counts them).
func (e *Engine) OnProposalAction(f func(model.ProposalAction)) {
	e.proposalActed.Store(&f)
}

func (e *Engine) proposalAction(a model.ProposalAction) {
	if f := e.proposalActed.Load(); f != nil {
		(*f)(a)
	}
}
